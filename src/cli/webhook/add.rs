//! `supportctl webhook add`: the org's events go to a URL, signed; the signing secret is
//! printed once.

use clap::Args;

use super::secret_output::print_with_secret;
use crate::api::{CreateWebhook, WebhookFormat};
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Args)]
pub struct AddArgs {
    /// https:// URL that receives the POSTs.
    pub url: String,
    #[command(flatten)]
    pub org: OrgArg,
    /// Comma-separated event patterns: `*`, `grant.*`, `request.created`, ... [default: *]
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    pub events: Option<Vec<String>>,
    /// `standard` (signed Standard Webhooks JSON), `slack` (text for Slack and Teams) or `ocsf` (each audit event as a signed OCSF 1.1.0 event, for a SIEM).
    #[arg(long, value_enum, default_value_t = WebhookFormat::Standard)]
    pub format: WebhookFormat,
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

pub fn run(context: &mut Context, args: AddArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let created = connection.client.create_webhook(
        &org,
        &CreateWebhook {
            url: args.url,
            events: args.events,
            format: Some(args.format),
            description: args.description,
        },
    )?;
    print_with_secret(context, &created, "Added webhook")
}
