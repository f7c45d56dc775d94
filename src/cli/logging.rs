//! Structured logs for the server, on stderr, as text or as JSON lines. Request logs carry the
//! route template, never the path, headers or bodies, so tokens and names cannot reach a log.

use tracing_subscriber::EnvFilter;

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event, for people.
    #[default]
    Text,
    /// One JSON object per line, its fields at the top level, for log collectors.
    Json,
}

/// `SUPPORTCTL_LOG` (or `RUST_LOG`) wins; otherwise `info`, `debug` with `-v`, `trace` with `-vv`.
pub fn init_server(verbosity: u8, format: LogFormat) {
    let default = match verbosity {
        0 => "info,sqlx=warn",
        1 => "debug,sqlx=info,hyper=info",
        _ => "trace",
    };
    let filter = std::env::var("SUPPORTCTL_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(
                anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never,
            )
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
