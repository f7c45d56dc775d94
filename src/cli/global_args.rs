//! The options every command takes. Their completers (profile names, orgs) are attached in
//! [`crate::cli::command`]: they connect as a command would, from these very options.

use clap::Args;

use crate::cli::ui::{ColorChoice, OutputArg};

/// Options every command takes, under their own heading in each command's help.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Profile in config.toml to use.
    #[arg(long, global = true, env = "SUPPORTCTL_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// The org to act on, also before the subcommand (`supportctl --org acme grant list`).
    #[arg(long, global = true, value_name = "ORG")]
    pub org: Option<String>,

    /// Server URL, overriding the profile's.
    #[arg(long, global = true, env = "SUPPORTCTL_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// Output format; `wide` is a table with more columns [default: table on a terminal, tsv
    /// otherwise]
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputArg>,

    /// Same as `-o json`.
    #[arg(long, global = true, conflicts_with = "output")]
    pub json: bool,

    /// Print only IDs (or only the token, for `session open`).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Assume yes at every confirmation.
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// Never prompt; fail instead when something is missing.
    #[arg(long, global = true)]
    pub no_input: bool,

    /// When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

    /// Log HTTP requests on stderr (-vv adds headers; tokens are always redacted).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Allow sending tokens over plain http:// to hosts other than this machine.
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,

    /// Also trust the CA certificates in this PEM file (for a server with a private CA).
    #[arg(long, global = true, env = "SUPPORTCTL_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<std::path::PathBuf>,
}
