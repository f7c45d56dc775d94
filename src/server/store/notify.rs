//! Decisions on access requests, as they commit, for the long polls waiting on them. In one
//! process a broadcast channel carries them; between PostgreSQL replicas, `NOTIFY` inside the
//! deciding transaction (delivered at commit) and a `LISTEN`ing connection per replica that
//! feeds its own channel. A lost listening connection wakes every waiter to re-read. The same
//! connection listens for new webhook deliveries (see `outbox.rs`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use super::outbox;

/// The PostgreSQL channel decisions are announced on; the payload is the request id.
pub const CHANNEL: &str = "supportctl_requests";
/// What tells every waiter to re-read its request.
pub const EVERYONE: &str = "*";
/// Announcements buffered per waiter; one that falls behind re-reads (like [`EVERYONE`]).
const BUFFER: usize = 1024;

pub struct RequestEvents {
    sender: broadcast::Sender<Arc<str>>,
}

impl Default for RequestEvents {
    fn default() -> Self {
        RequestEvents {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

impl RequestEvents {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.sender.subscribe()
    }

    /// Wakes whoever waits on request `id` (no one waiting is fine).
    pub fn publish(&self, id: &str) {
        let _ = self.sender.send(Arc::from(id));
    }

    /// Starts this replica's `LISTEN` on `url`, forwarding each announcement to `events`.
    /// It runs as long as the runtime does, reconnecting after a lost connection.
    pub fn listen_postgres(events: Arc<RequestEvents>, url: String) {
        tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => {
                        if let Err(error) = listener.listen_all([CHANNEL, outbox::CHANNEL]).await {
                            tracing::warn!(%error, "cannot LISTEN for request decisions; retrying");
                        } else {
                            // Anything decided or enqueued while no one listened is read now.
                            events.publish(EVERYONE);
                            outbox::wake();
                            loop {
                                match listener.try_recv().await {
                                    Ok(Some(notification))
                                        if notification.channel() == outbox::CHANNEL =>
                                    {
                                        outbox::wake()
                                    }
                                    Ok(Some(notification)) => {
                                        events.publish(notification.payload())
                                    }
                                    // The connection was lost; the next call reconnects.
                                    Ok(None) => {
                                        events.publish(EVERYONE);
                                        outbox::wake();
                                    }
                                    Err(error) => {
                                        tracing::warn!(%error, "request decision listener failed; reconnecting");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot connect to LISTEN for request decisions; retrying")
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}
