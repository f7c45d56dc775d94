//! `supportctl webhook test`: a `webhook.test` message now, and how the receiver answered.

use clap::Args;

use crate::api::{Delivery, DeliveryStatus};
use crate::cli::args::OrgArg;
use crate::cli::client::ApiClient;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    #[command(flatten)]
    pub org: OrgArg,
}

pub fn run(context: &mut Context, args: TestArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = args.org.resolve(&mut connection)?;
    let sent = connection.client.test_webhook(&org, &args.id)?;
    let delivery = wait_for_attempt(context, &connection.client, &org, &args.id, sent)?;
    context
        .ui
        .success_or_row(&test_outcome(&delivery), &delivery)?;
    context.ui.hint(&format!(
        "every attempt: supportctl webhook deliveries {}",
        args.id
    ));
    Ok(())
}

/// How long `webhook test` waits for the receiver's answer.
const TEST_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often it asks how the test went.
const TEST_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// The test's delivery once its first attempt has ended, or as it is after [`TEST_WAIT`]; a
/// spinner meanwhile, on a terminal.
fn wait_for_attempt(
    context: &Context,
    client: &ApiClient,
    org: &str,
    webhook: &str,
    sent: Delivery,
) -> Result<Delivery, CommandError> {
    let spinner = context.ui.spinner("Waiting for the receiver's answer", "s");
    let started = std::time::Instant::now();
    let mut delivery = sent;
    while !attempt_ended(&delivery) && started.elapsed() < TEST_WAIT {
        std::thread::sleep(TEST_POLL);
        spinner.set_position(started.elapsed().as_secs());
        // Newest first: the test's delivery is on the first page unless many came after it.
        let latest = client.list_deliveries(org, webhook, None, Some(100))?;
        match latest.into_iter().find(|d| d.id == delivery.id) {
            Some(found) => delivery = found,
            None => break,
        }
    }
    spinner.finish_and_clear();
    Ok(delivery)
}

/// Whether a delivery's first attempt has ended (an attempt in flight has counted itself).
fn attempt_ended(delivery: &Delivery) -> bool {
    delivery.status != DeliveryStatus::Pending
        || delivery.last_status.is_some()
        || delivery.last_error.is_some()
}

/// What the ✓ line says of a test's delivery.
fn test_outcome(delivery: &Delivery) -> String {
    let sent = format!("Sent a test message ({})", delivery.id);
    let last = match (&delivery.last_status, &delivery.last_error) {
        (_, Some(error)) => error.clone(),
        (Some(status), None) => format!("HTTP {status}"),
        (None, None) => String::new(),
    };
    match delivery.status {
        DeliveryStatus::Delivered => format!("{sent}: the receiver answered {last}"),
        DeliveryStatus::Failed => format!("{sent}: failed ({last})"),
        DeliveryStatus::Pending if !attempt_ended(delivery) => {
            format!("{sent}: still pending; the receiver has not answered yet")
        }
        DeliveryStatus::Pending => format!(
            "{sent}: retrying; attempt {} got {last}{}",
            delivery.attempts,
            delivery
                .next_attempt_at
                .map(|at| format!(", next at {at}"))
                .unwrap_or_default()
        ),
    }
}
