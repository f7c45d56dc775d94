//! `supportctl request wait`: until a request is decided.

use clap::Args;

use super::admin_org::admin_org;
use super::waiting::{DEFAULT_TIMEOUT, print_approved, wait_for};
use crate::cli::args::OrgArg;
use crate::cli::candidates;
use crate::cli::context::Context;
use crate::cli::error::CommandResult;
use crate::cli::time::parse_duration;

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub org: OrgArg,
    /// Request id.
    #[arg(add = candidates::request_ids())]
    pub id: String,
    /// How long to wait before exiting 8.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = DEFAULT_TIMEOUT)]
    pub timeout: i64,
}

pub fn run(context: &mut Context, args: WaitArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = admin_org(&mut connection, &args.org)?;
    let request = connection.client.get_request(org.as_deref(), &args.id, 0)?;
    let decided = wait_for(
        context,
        &mut connection,
        org.as_deref(),
        &request,
        args.timeout,
    )?;
    print_approved(context, &connection.client, &decided)
}
