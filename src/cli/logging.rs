//! Structured logs for the server, on stderr. Request logs carry method and path only: never
//! headers or bodies, so tokens cannot reach a log.

use tracing_subscriber::EnvFilter;

/// `SUPPORTCTL_LOG` (or `RUST_LOG`) wins; otherwise `info`, `debug` with `-v`, `trace` with `-vv`.
pub fn init_server(verbosity: u8) {
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never)
        .try_init();
}
