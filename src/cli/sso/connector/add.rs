//! `supportctl sso connector add`: an identity provider people sign in with.

use std::io::{BufRead, IsTerminal};

use clap::Args;

use super::owner::owner;
use crate::api::{ConnectorRule, CreateConnector, Role, SsoFlowKind};
use crate::cli::args::OrgArg;
use crate::cli::context::Context;
use crate::cli::error::{CommandError, CommandResult};
use crate::cli::ui::{fit_prompt, prompt};

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A name for it (lowercase letters, digits, dashes), which `login --sso --connector` takes.
    pub name: String,
    #[command(flatten)]
    pub org: OrgArg,
    /// The provider's issuer URL, exactly as its ID tokens say it (Okta: https://ORG.okta.com or its authorization server; Entra ID: https://login.microsoftonline.com/TENANT/v2.0; Keycloak: https://HOST/realms/REALM).
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    /// The client (application) id registered at the provider.
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// A rule CLAIM=VALUE:ROLE: whoever's ID token has VALUE in CLAIM (a string equal to it, or a list holding it) gets ROLE; the first matching rule wins. Repeat for several.
    #[arg(long = "rule", value_name = "CLAIM=VALUE:ROLE", value_parser = parse_rule, required = true)]
    pub rules: Vec<ConnectorRule>,
    /// Comma-separated scopes to ask for [default: openid,email,profile,groups]
    #[arg(long, value_delimiter = ',', value_name = "SCOPES")]
    pub scopes: Option<Vec<String>>,
    /// Comma-separated flows it offers: browser, device [default: browser]
    #[arg(long, value_delimiter = ',', value_name = "FLOWS", value_enum)]
    pub flows: Option<Vec<FlowArg>>,
    /// Comma-separated email domains it accepts (others are refused).
    #[arg(long, value_delimiter = ',', value_name = "DOMAINS")]
    pub email_domains: Option<Vec<String>>,
    /// Create an account at first sign-in for someone who has none (a support engineer, or an admin of the org); never an operator.
    #[arg(long)]
    pub provision: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FlowArg {
    Browser,
    Device,
}

fn parse_rule(text: &str) -> Result<ConnectorRule, String> {
    let (claim, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not CLAIM=VALUE:ROLE"))?;
    let (value, role) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("'{text}' is not CLAIM=VALUE:ROLE"))?;
    let role: Role = role.parse()?;
    Ok(ConnectorRule {
        claim: claim.to_owned(),
        value: value.to_owned(),
        role,
    })
}

/// The client secret: from stdin when it is not a terminal, else asked.
fn read_secret(context: &mut Context) -> CommandResult<String> {
    let secret = if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    } else if context.ui.interactive() {
        let question = fit_prompt("The client secret from the identity provider");
        prompt(|| dialoguer::Password::new().with_prompt(question).interact())?
    } else {
        return Err(CommandError::usage(
            "no client secret: give it on stdin (it is never taken from the command line)",
        ));
    };
    let secret = secret.trim().to_owned();
    if secret.is_empty() {
        return Err(CommandError::usage("the client secret is empty"));
    }
    Ok(secret)
}

pub fn run(context: &mut Context, args: AddArgs) -> CommandResult {
    let mut connection = context.connect()?;
    let org = owner(&mut connection, &args.org)?;
    let client_secret = read_secret(context)?;
    let body = CreateConnector {
        name: args.name,
        issuer: args.issuer,
        client_id: args.client_id,
        client_secret,
        scopes: args.scopes,
        flows: args.flows.map(|flows| {
            flows
                .into_iter()
                .map(|flow| match flow {
                    FlowArg::Browser => SsoFlowKind::Browser,
                    FlowArg::Device => SsoFlowKind::Device,
                })
                .collect()
        }),
        email_domains: args.email_domains,
        rules: args.rules,
        provision: Some(args.provision),
    };
    let connector = connection.client.create_connector(org.as_deref(), &body)?;
    context.ui.success_or_row(
        &format!(
            "Added connector {}{}",
            connector.name,
            connector
                .org
                .as_deref()
                .map(|org| format!(" for org {org}'s admins"))
                .unwrap_or_default()
        ),
        &connector,
    )?;
    if !context.ui.quiet() {
        context.ui.hint(&format!(
            "register {} as the client's redirect URI at the provider; people sign in with \
             `supportctl login --sso --connector {}{}`",
            crate::cli::render::terminal_safe(&connector.redirect_uri),
            connector.name,
            connector
                .org
                .as_deref()
                .map(|org| format!(" --org {org}"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}
