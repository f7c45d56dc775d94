//! `supportctl webhook`: org admins send the org's events to their own endpoints.

pub mod add;
mod columns;
pub mod deliveries;
pub mod list;
pub mod redeliver;
pub mod remove;
pub mod rotate_secret;
mod secret_output;
pub mod show;
pub mod test;

use clap::Subcommand;

use crate::cli::context::Context;
use crate::cli::error::CommandResult;

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Send the org's events to a URL; prints the signing secret once.
    #[command(after_long_help = "Examples:
  supportctl webhook add https://siem.example.com/supportctl --format ocsf
  supportctl webhook add https://hooks.slack.com/services/T0/B0/XXXX \\
      --format slack --events 'request.*,grant.expiring'
  supportctl webhook add https://approvals.example.com/hook \\
      --events 'grant.*,request.*' --description 'approvals bot'")]
    Add(add::AddArgs),
    /// List the org's webhooks.
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Show one webhook (its secret is never shown again).
    Show(show::ShowArgs),
    /// Remove a webhook and its pending deliveries.
    #[command(after_long_help = "Examples:
  supportctl webhook remove wh_01j9... --yes")]
    #[command(visible_alias = "rm")]
    Remove(remove::RemoveArgs),
    /// Send a `webhook.test` message now, and wait (up to 10 s) to say how the receiver answered.
    Test(test::TestArgs),
    /// A webhook's deliveries: status, attempts, last HTTP status or error, next attempt.
    #[command(after_long_help = "Examples:
  supportctl webhook deliveries wh_01j9... --status failed
  supportctl webhook deliveries wh_01j9... -o json")]
    Deliveries(deliveries::DeliveriesArgs),
    /// Send a delivery's message again (same webhook-id).
    #[command(after_long_help = "Examples:
  supportctl webhook redeliver wh_01j9... dlv_01j9...")]
    Redeliver(redeliver::RedeliverArgs),
    /// A new signing secret; the old one also signs for 24 hours, unless `--now`.
    #[command(after_long_help = "Examples:
  supportctl webhook rotate-secret wh_01j9...        # both sign for 24h
  supportctl webhook rotate-secret wh_01j9... --now  # the old one leaked")]
    RotateSecret(rotate_secret::RotateArgs),
}

pub fn run(context: &mut Context, command: WebhookCommand) -> CommandResult {
    match command {
        WebhookCommand::Add(args) => add::run(context, args),
        WebhookCommand::List(args) => list::run(context, args),
        WebhookCommand::Show(args) => show::run(context, args),
        WebhookCommand::Remove(args) => remove::run(context, args),
        WebhookCommand::Test(args) => test::run(context, args),
        WebhookCommand::Deliveries(args) => deliveries::run(context, args),
        WebhookCommand::Redeliver(args) => redeliver::run(context, args),
        WebhookCommand::RotateSecret(args) => rotate_secret::run(context, args),
    }
}
