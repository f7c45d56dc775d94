//! `supportctl webhook`: org admins send the org's events to their own endpoints.

use clap::{Args, Subcommand};

use super::args::{ListLimit, OrgArg};
use super::context::Context;
use super::error::{CommandError, CommandResult};
use super::ui::{Cell, OutputFormat, Tabular};
use crate::api::{
    CreateWebhook, Delivery, DeliveryStatus, Webhook, WebhookFormat, WebhookWithSecret,
};

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
    /// Send a `webhook.test` message now.
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
    /// A new signing secret; the old one also signs for 24 hours.
    RotateSecret(IdArgs),
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
            Cell::text(&self.id),
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
            Cell::text(&self.id),
            Cell::text(&self.event_type),
            Cell::opt(self.event_seq),
            Cell::Status(self.status.to_string()),
            Cell::text(self.attempts),
            last,
            Cell::Time(self.next_attempt_at),
            Cell::Time(Some(self.created_at)),
        ]
    }

    fn id(&self) -> &str {
        &self.id
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
            let delivery = connection.client.test_webhook(&org, &args.id)?;
            context.ui.hint(&format!(
                "see how it went: supportctl webhook deliveries {}",
                args.id
            ));
            Ok(context
                .ui
                .success_or_row(&format!("Sent a test message ({})", delivery.id), &delivery)?)
        }
        WebhookCommand::Deliveries(args) => {
            let org = args.org.resolve(&mut connection)?;
            let deliveries =
                connection
                    .client
                    .list_deliveries(&org, &args.id, args.status, args.limit.max())?;
            Ok(context.ui.list(&deliveries)?)
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
            let rotated = connection.client.rotate_webhook_secret(&org, &args.id)?;
            print_with_secret(context, &rotated, "New secret for webhook")
        }
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
