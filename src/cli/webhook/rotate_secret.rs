//! `supportctl webhook rotate-secret`: a new signing secret; the old one signs on for 24
//! hours unless `--now`.

use clap::Args;

use super::secret_output::print_with_secret;
use crate::api::RotateWebhookSecret;
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;

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

pub fn run(context: &mut Context, args: RotateArgs) -> CommandResult {
    let mut connection = context.connect()?;
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
