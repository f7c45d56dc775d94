//! Readiness and the drain at shutdown, for load balancers and service managers.
//!
//! `/readyz` says whether this replica should get new requests: not once a shutdown began.
//! SIGTERM (what orchestrators and systemd send) starts a drain: `/readyz` answers 503 at once,
//! the server keeps serving for the drain delay so that balancers notice and stop sending, then
//! stops accepting and gives requests in flight the shutdown timeout to finish. SIGINT (Ctrl-C
//! at a terminal) skips the delay; a second signal during the delay ends it. Under systemd
//! (`NOTIFY_SOCKET` set) the server reports `READY=1` once it accepts connections and
//! `STOPPING=1` when the drain begins.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether this process is draining.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
}

impl Lifecycle {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// From now on `/readyz` answers 503; the service manager is told.
    pub fn begin_drain(&self) {
        if !self.draining.swap(true, Ordering::AcqRel) {
            notify(&[sd_notify::NotifyState::Stopping]);
        }
    }
}

/// Tells the service manager that the server accepts connections (nothing without
/// `NOTIFY_SOCKET`).
pub fn notify_ready() {
    notify(&[sd_notify::NotifyState::Ready]);
}

fn notify(state: &[sd_notify::NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(error) = sd_notify::notify(state) {
        tracing::warn!(%error, "cannot notify the service manager");
    }
}

/// Which signal asked the server to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Interrupt,
    Terminate,
}

/// Resolves when the server should stop accepting connections: at once on SIGINT, after
/// `drain_delay` on SIGTERM (sooner on a second signal). The drain begins in `lifecycle` as
/// soon as either arrives.
pub async fn shutdown_signal(lifecycle: &Lifecycle, drain_delay: Duration) {
    let stop = next_signal().await;
    lifecycle.begin_drain();
    if stop == Stop::Interrupt || drain_delay.is_zero() {
        tracing::info!("shutting down");
        return;
    }
    tracing::info!(
        delay = %humantime::format_duration(drain_delay),
        "draining: /readyz answers 503; still serving until the delay ends"
    );
    tokio::select! {
        _ = tokio::time::sleep(drain_delay) => {}
        _ = next_signal() => tracing::info!("second signal: ending the drain early"),
    }
    tracing::info!("shutting down");
}

async fn next_signal() -> Stop {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => Stop::Interrupt,
        _ = terminate => Stop::Terminate,
    }
}
