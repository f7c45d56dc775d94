//! `supportctl webhook`: org admins send the org's events to their own endpoints.

use clap::{Args, Subcommand};

use super::args::{ListLimit, OrgArg};
use super::context::Context;
use super::error::{CommandError, CommandResult};
use super::ui::{Cell, OutputFormat, Tabular};
use crate::api::{
    CreateWebhook, Delivery, DeliveryStatus, RotateWebhookSecret, Webhook, WebhookFormat,
    WebhookWithSecret,
};

/// How long `webhook test` waits for the receiver's answer.
const TEST_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// How often it asks how the test went.
const TEST_POLL: std::time::Duration = std::time::Duration::from_millis(250);

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Send the org's events to a URL; prints the signing secret once.
    #[command(after_long_help = "Examples:
  supportctl webhook add https://siem.example.com/supportctl
  supportctl webhook add https://hooks.slack.com/services/T0/B0/XXXX \\
      --format slack --events 'request.*,grant.expiring'
  supportctl webhook add https://approvals.example.com/hook \\
      --events 'grant.*,request.*' --description 'approvals bot'")]
    Add(AddArgs),
    /// List the org's webhooks.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one webhook (its secret is never shown again).
    Show(IdArgs),
    /// Remove a webhook and its pending deliveries.
    #[command(after_long_help = "Examples:
  supportctl webhook remove wh_01j9... --yes")]
    #[command(visible_alias = "rm")]
    Remove(IdArgs),
    /// Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered.
    Test(IdArgs),
    /// A webhook's deliveries: status, attempts, last HTTP status or error, next attempt.
    #[command(after_long_help = "Examples:
  supportctl webhook deliveries wh_01j9... --status failed
  supportctl webhook deliveries wh_01j9... -o json")]
    Deliveries(DeliveriesArgs),
    /// Send a delivery's message again (same webhook-id).
    #[command(after_long_help = "Examples:
  supportctl webhook redeliver wh_01j9... dlv_01j9...")]
    Redeliver(RedeliverArgs),
    /// A new signing secret; the old one also signs for 24 hours, unless `--now`.
    #[command(after_long_help = "Examples:
  supportctl webhook rotate-secret wh_01j9...        # both sign for 24h
  supportctl webhook rotate-secret wh_01j9... --now  # the old one leaked")]
    RotateSecret(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    #[command(flatten)]
    pub org: OrgArg,
    /// End the old secret at once (it leaked) instead of letting it sign for 24 more hours;
    /// messages fail to verify until the receiver has the new one.
    #[arg(long)]
    pub now: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// https:// URL that receives the POSTs.
    pub url: String,
    #[command(flatten)]
    pub org: OrgArg,
    /// Comma-separated event patterns: `*`, `grant.*`, `request.created`, ... [default: *]
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    pub events: Option<Vec<String>>,
    /// `standard` (signed Standard Webhooks JSON) or `slack` (text for Slack and Teams).
    #[arg(long, value_enum, default_value_t = WebhookFormat::Standard)]
    pub format: WebhookFormat,
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub org: OrgArg,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    #[command(flatten)]
    pub org: OrgArg,
}

#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    #[command(flatten)]
    pub org: OrgArg,
    #[arg(long, value_enum)]
    pub status: Option<DeliveryStatus>,
    #[command(flatten)]
    pub limit: ListLimit,
}

#[derive(Debug, Args)]
pub struct RedeliverArgs {
    /// The webhook's id (wh_...).
    pub id: String,
    /// The delivery's id (dlv_...).
    pub delivery: String,
    #[command(flatten)]
    pub org: OrgArg,
}

impl Tabular for Webhook {
    fn headers() -> &'static [&'static str] {
        &["id", "url", "events", "format", "status", "created"]
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::fixed(&self.id),
            Cell::text(&self.url),
            Cell::text(self.events.join(",")),
            Cell::text(self.format),
            Cell::Status(
                if self.disabled_at.is_some() {
                    "disabled"
                } else {
                    "enabled"
                }
                .into(),
            ),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn drop_order() -> &'static [&'static str] {
        &["created", "format", "events", "status"]
    }
}

impl Tabular for Delivery {
    fn headers() -> &'static [&'static str] {
        &[
            "id",
            "event",
            "seq",
            "status",
            "attempts",
            "last",
            "next attempt",
            "created",
        ]
    }

    fn cells(&self) -> Vec<Cell> {
        let last = match (&self.last_status, &self.last_error) {
            (_, Some(error)) => Cell::text(error),
            (Some(status), None) => Cell::text(format!("HTTP {status}")),
            (None, None) => Cell::Placeholder("-"),
        };
        vec![
            Cell::fixed(&self.id),
            Cell::fixed(&self.event_type),
            Cell::fixed(
                self.event_seq
                    .map(|seq| seq.to_string())
                    .unwrap_or_default(),
            ),
            Cell::Status(self.status.to_string()),
            Cell::fixed(self.attempts),
            last,
            Cell::Time(self.next_attempt_at),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn drop_order() -> &'static [&'static str] {
        &[
            "seq",
            "next attempt",
            "attempts",
            "last",
            "event",
            "created",
            "status",
        ]
    }
}

pub fn run(context: &mut Context, command: WebhookCommand) -> CommandResult {
    let mut connection = context.connect()?;
    match command {
        WebhookCommand::Add(args) => {
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
        WebhookCommand::List(args) => {
            let org = args.org.resolve(&mut connection)?;
            let webhooks = connection.client.list_webhooks(&org)?;
            Ok(context.ui.list(&webhooks)?)
        }
        WebhookCommand::Show(args) => {
            let org = args.org.resolve(&mut connection)?;
            let webhook = connection.client.get_webhook(&org, &args.id)?;
            Ok(context.ui.one(&webhook)?)
        }
        WebhookCommand::Remove(args) => {
            let org = args.org.resolve(&mut connection)?;
            if !context.ui.confirm(&format!(
                "Remove webhook {}? Its pending deliveries are dropped.",
                args.id
            ))? {
                return Err(CommandError::usage("not confirmed; nothing was changed"));
            }
            let webhook = connection.client.delete_webhook(&org, &args.id)?;
            Ok(context
                .ui
                .success_or_row(&format!("Removed webhook {}", webhook.id), &webhook)?)
        }
        WebhookCommand::Test(args) => {
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
        WebhookCommand::Deliveries(args) => {
            let org = args.org.resolve(&mut connection)?;
            let deliveries =
                connection
                    .client
                    .list_deliveries(&org, &args.id, args.status, args.limit.max())?;
            args.limit.print(&mut context.ui, &deliveries)
        }
        WebhookCommand::Redeliver(args) => {
            let org = args.org.resolve(&mut connection)?;
            let delivery = connection
                .client
                .redeliver(&org, &args.id, &args.delivery)?;
            Ok(context
                .ui
                .success_or_row(&format!("Queued again as {}", delivery.id), &delivery)?)
        }
        WebhookCommand::RotateSecret(args) => {
            let org = args.org.resolve(&mut connection)?;
            let body = RotateWebhookSecret {
                expire_previous: args.now.then_some(true),
            };
            let rotated = connection
                .client
                .rotate_webhook_secret(&org, &args.id, &body)?;
            let verb = if args.now {
                "New secret (the old one no longer signs) for webhook"
            } else {
                "New secret (the old one also signs for 24 hours) for webhook"
            };
            print_with_secret(context, &rotated, verb)
        }
    }
}

/// The test's delivery once its first attempt has ended, or as it is after [`TEST_WAIT`]; a
/// spinner meanwhile, on a terminal.
fn wait_for_attempt(
    context: &Context,
    client: &crate::cli::client::ApiClient,
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

/// The secret goes to stdout once; with `-q`, nothing else does.
fn print_with_secret(
    context: &mut Context,
    created: &WebhookWithSecret,
    verb: &str,
) -> CommandResult {
    if context.ui.quiet() {
        return Ok(context.ui.line(&created.secret)?);
    }
    match context.ui.format() {
        OutputFormat::Json => Ok(context.ui.json(created)?),
        OutputFormat::Tsv => {
            let mut row = crate::cli::ui::tsv_cells(&created.webhook.cells());
            row.push(created.secret.clone());
            Ok(context.ui.line(&row.join("\t"))?)
        }
        OutputFormat::Table => {
            context.ui.success(&format!(
                "{verb} {} ({})",
                created.webhook.id, created.webhook.url
            ));
            context
                .ui
                .note("Signing secret (shown once; give it to the receiver now):");
            Ok(context.ui.line(&created.secret)?)
        }
    }
}
