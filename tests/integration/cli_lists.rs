//! Every list on a pseudo-terminal at 80 and 120 columns: IDs, emails and what a person types
//! next are never cut (other columns are left out first); and every list says on stderr when
//! it shows fewer than it holds.

use serde_json::{Value, json};

use crate::api_pagination::seed_grants;
use crate::cli_tables::on_terminal;
use crate::common::cli::Cli;
use crate::common::fixtures::*;
use crate::common::harness::TestServer;

/// Long enough that an ID and this email leave little of 80 columns.
const LONG_EMAIL: &str = "alexandra.lindqvist@support.vendor.example";
const LONG_REASON: &str = "Ticket 4821: customer reports that chat sync fails after the \
                           upgrade to 4.2 on all their Android devices";

fn ids_of(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| item[field].as_str())
        .map(str::to_owned)
        .collect()
}

/// A list run as a token: its command, what it must show whole, headers it must leave out.
struct List<'a>(&'a str, &'a [&'a str], Vec<String>, &'a [&'a str]);

#[test]
fn every_list_keeps_ids_and_emails_whole_at_80_and_120_columns() {
    let server = TestServer::start();
    let admin = admin(&server);
    let operator = operator(&server);
    let engineer = create_support(&server, LONG_EMAIL);
    let engineer_api = server.as_token(&engineer.token);
    admin.grant(json!({"level": "member", "reason": LONG_REASON, "ticket": "SUP-4821"}));
    let (session, _) = engineer_api.open(json!({"reason": LONG_REASON}));
    let request = engineer_api.post(
        "/v1/orgs/acme/requests",
        json!({"level": "read-only", "areas": ["documents", "issues"], "reason": LONG_REASON}),
    );
    request.assert_ok();
    let request = request.body["id"].as_str().unwrap().to_owned();
    let webhook = admin.post(
        "/v1/orgs/acme/webhooks",
        json!({"url": "https://hooks.example.com/a/long/path/to/the/receiver/of/events",
               "description": LONG_REASON}),
    );
    let webhook = webhook.body["webhook"]["id"].as_str().unwrap().to_owned();
    create_org_with_admin(&server, "northwind-traders-europe");

    let grants = ids_of(&admin.all("/v1/orgs/acme/grants"), "id");
    let deliveries = ids_of(
        &admin.all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries")),
        "id",
    );
    assert!(!deliveries.is_empty());
    let targets = ids_of(&admin.all("/v1/orgs/acme/audit"), "target");
    let accounts = operator.all("/v1/accounts");
    let orgs = ids_of(&operator.all("/v1/orgs"), "slug");
    let mut account_needles = ids_of(&accounts, "id");
    account_needles.extend(ids_of(&accounts, "email"));

    let deliveries_args = ["webhook", "deliveries", webhook.as_str()];
    let lists: Vec<List> = vec![
        List(
            &server.tokens.admin,
            &["grant", "list"],
            grants.clone(),
            &["ORG"],
        ),
        List(&engineer.token, &["grant", "list"], grants, &[]),
        List(
            &server.tokens.admin,
            &["request", "list"],
            vec![request.clone(), LONG_EMAIL.to_owned()],
            &["ORG"],
        ),
        List(
            &engineer.token,
            &["request", "list"],
            vec![request],
            &["REQUESTER"],
        ),
        List(
            &server.tokens.admin,
            &["session", "list"],
            vec![session.clone(), LONG_EMAIL.to_owned()],
            &["ORG"],
        ),
        List(
            &engineer.token,
            &["session", "list"],
            vec![session],
            &["ENGINEER"],
        ),
        List(
            &server.tokens.admin,
            &["webhook", "list"],
            vec![webhook.clone()],
            &[],
        ),
        List(&server.tokens.admin, &deliveries_args, deliveries, &[]),
        List(
            &server.tokens.admin,
            &["audit", "list", "--all"],
            targets,
            &[],
        ),
        List(
            &server.tokens.operator,
            &["account", "list"],
            account_needles,
            &[],
        ),
        List(&server.tokens.operator, &["org", "list"], orgs, &[]),
    ];
    for columns in [80, 120] {
        for List(token, args, whole, absent) in &lists {
            let out = on_terminal(&server, token, columns, args);
            let shown = format!("{} at {columns} columns:\n{out}", args.join(" "));
            for line in out.lines() {
                assert!(
                    line.chars().count() <= usize::from(columns),
                    "wider than the terminal: {shown}"
                );
            }
            for needle in whole {
                assert!(
                    out.lines()
                        .any(|line| line.split_whitespace().any(|w| w == needle)),
                    "{needle} is not shown whole: {shown}"
                );
            }
            let header = out.lines().next().unwrap_or_default();
            for column in *absent {
                assert!(
                    !header.split("  ").any(|h| h.trim() == *column),
                    "{column} says nothing here: {shown}"
                );
            }
        }
    }
    // -o wide still adds the rarer columns when there is room.
    let wide = on_terminal(
        &server,
        &server.tokens.admin,
        220,
        &["request", "list", "-o", "wide"],
    );
    for header in ["TICKET", "GRANT", "REASON"] {
        assert!(wide.contains(header), "{wide}");
    }

    // Profiles: their names and accounts stay whole.
    let config = server.dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[profiles.northwind-europe-support]\n\
             server = \"https://supportctl.internal.northwind-traders-europe.example.com\"\n\
             email = \"{LONG_EMAIL}\"\nrole = \"support\"\ntoken_storage = \"file\"\n\
             [profiles.acme-admin]\nserver = \"https://support.example.com\"\n\
             email = \"admin@acme.test\"\nrole = \"admin\"\norg = \"acme\"\n"
        ),
    )
    .unwrap();
    for columns in [80, 120] {
        let out = on_terminal(&server, "", columns, &["profile", "list"]);
        assert!(
            out.lines()
                .all(|line| line.chars().count() <= usize::from(columns)),
            "wider than {columns}:\n{out}"
        );
        for needle in [
            "northwind-europe-support",
            "acme-admin",
            LONG_EMAIL,
            "admin@acme.test",
        ] {
            assert!(
                out.lines()
                    .any(|line| line.split_whitespace().any(|w| w == needle)),
                "{needle} is not shown whole at {columns} columns:\n{out}"
            );
        }
    }
}

#[test]
fn every_list_says_how_many_it_left_out() {
    let server = TestServer::start();
    let admin = admin(&server);
    let support = support(&server);
    for n in 0..3 {
        admin.grant(json!({"level": "read-only", "reason": format!("grant {n}")}));
    }
    // One pending request per level and areas.
    for area in ["documents", "issues"] {
        support.open(json!({"reason": "look"}));
        support
            .post(
                "/v1/orgs/acme/requests",
                json!({"level": "read-only", "areas": [area], "reason": "look"}),
            )
            .assert_ok();
    }
    let webhook = admin.post(
        "/v1/orgs/acme/webhooks",
        json!({"url": "https://hooks.example.com/in"}),
    );
    let webhook = webhook.body["webhook"]["id"].as_str().unwrap().to_owned();
    admin.grant(json!({"level": "read-only", "reason": "one more event"}));
    create_org_with_admin(&server, "globex");
    let deliveries = admin
        .all(&format!("/v1/orgs/acme/webhooks/{webhook}/deliveries"))
        .len();
    let accounts = operator(&server).all("/v1/accounts").len();
    let orgs = operator(&server).all("/v1/orgs").len();

    let short = |run: crate::common::cli::Run, of: usize| {
        let out = run.ok();
        out.stderr_has(&format!("showing 1 of {of}; --all or --limit N for more"));
    };
    short(server.as_admin().args(["grant", "list", "--limit", "1"]), 4);
    short(
        server.as_support().args(["grant", "list", "--limit", "1"]),
        4,
    );
    // Narrowed to one org on the client: the count is of what it kept.
    short(
        server
            .as_support()
            .args(["grant", "list", "--org", "acme", "--limit", "1"]),
        4,
    );
    short(
        server.as_admin().args(["request", "list", "--limit", "1"]),
        2,
    );
    short(
        server
            .as_support()
            .args(["request", "list", "--limit", "1"]),
        2,
    );
    short(
        server.as_admin().args(["session", "list", "--limit", "1"]),
        2,
    );
    short(
        server
            .as_support()
            .args(["session", "list", "--limit", "1"]),
        2,
    );
    short(
        server
            .as_admin()
            .args(["webhook", "deliveries", &webhook, "--limit", "1"]),
        deliveries,
    );
    short(
        server
            .as_operator()
            .args(["account", "list", "--limit", "1"]),
        accounts,
    );
    short(
        server.as_operator().args(["org", "list", "--limit", "1"]),
        orgs,
    );
    // JSON on stdout stays the list alone; the note is on stderr.
    let json = server
        .as_admin()
        .args(["grant", "list", "--limit", "1", "-o", "json"])
        .ok();
    assert_eq!(json.json().as_array().unwrap().len(), 1);
    json.stderr_has("showing 1 of 4");

    // Nothing left out, nothing said; -q says nothing either.
    for args in [
        &["grant", "list", "--limit", "4"][..],
        &["grant", "list", "--all"],
        &["grant", "list"],
        &["grant", "list", "--limit", "1", "-q"],
    ] {
        let out = server.as_admin().args(args).ok();
        assert!(!out.stderr.contains("showing"), "{out}");
    }

    // Past a thousand the count stops: "more than 1,000", never a full count.
    seed_grants(&server, 1000);
    server
        .as_admin()
        .args(["grant", "list"])
        .ok()
        .stderr_has("showing 100 of more than 1,000; --all or --limit N for more");
    let all = server.as_admin().args(["grant", "list", "--all"]).ok();
    assert_eq!(all.stdout.lines().count(), 1004);
    assert!(!all.stderr.contains("showing"), "{all}");
}
