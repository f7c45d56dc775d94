//! `supportctl org ...` and `supportctl account ...` (operators), checked through the API.

use serde_json::Value;

use crate::common::cli::Cli;
use crate::common::harness::TestServer;

#[test]
fn org_create_list_disable() {
    let server = TestServer::start();
    let out = server
        .as_operator()
        .args(["org", "create", "globex", "--name", "Globex Inc"])
        .ok();
    assert_eq!(out.rows()[0][..3], ["globex", "Globex Inc", "enabled"]);
    let api = server.operator().get("/v1/orgs/globex");
    assert_eq!(api.body["name"], "Globex Inc");

    server
        .as_operator()
        .args(["org", "create", "globex"])
        .fails(6)
        .stderr_has("already exists");
    server
        .as_operator()
        .args(["org", "create", "Not A Slug"])
        .fails(2);

    let listed = server
        .as_operator()
        .args(["org", "list", "--json"])
        .ok()
        .json();
    assert_eq!(listed, Value::Array(server.operator().all("/v1/orgs")));
    let out = server.as_operator().args(["org", "list", "-q"]).ok();
    assert_eq!(out.lines(), ["acme", "globex"]);

    server
        .as_operator()
        .args(["org", "disable", "globex"])
        .fails(2)
        .stderr_has("--yes");
    assert_eq!(
        server.operator().get("/v1/orgs/globex").body["status"],
        "enabled"
    );
    server
        .as_operator()
        .args(["org", "disable", "globex", "--yes"])
        .ok();
    assert_eq!(
        server.operator().get("/v1/orgs/globex").body["status"],
        "disabled"
    );
    server
        .as_operator()
        .args(["org", "disable", "nope", "--yes"])
        .fails(3);

    // Only operators manage orgs.
    server.as_admin().args(["org", "list"]).fails(5);
}

#[test]
fn account_create_list_disable_rotate() {
    let server = TestServer::start();

    // -q prints only the new token, which works at once.
    let out = server
        .as_operator()
        .args([
            "account",
            "create",
            "sam@vendor.test",
            "--role",
            "support",
            "-q",
        ])
        .ok();
    let token = out.stdout.trim().to_owned();
    assert!(token.starts_with("sat_"), "{out}");
    assert_eq!(
        server.as_token(&token).get("/v1/me").body["email"],
        "sam@vendor.test"
    );

    // JSON: {account, token}.
    let created = server
        .as_operator()
        .args([
            "account",
            "create",
            "ann@acme.test",
            "--role",
            "admin",
            "--org",
            "acme",
        ])
        .args(["-o", "json"])
        .ok()
        .json();
    let ann = created["account"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["account"]["org"], "acme");
    assert!(created["token"].as_str().unwrap().starts_with("sat_"));

    // TSV: the account's columns in table order, then the token.
    let out = server
        .as_operator()
        .args(["account", "create", "svc@vendor.test", "--role", "service"])
        .ok();
    let row = &out.rows()[0];
    assert_eq!(row.len(), 7, "{out}");
    assert_eq!(row[1..5], ["svc@vendor.test", "service", "", "enabled"]);
    assert!(row[6].starts_with("sat_"));

    server
        .as_operator()
        .args(["account", "create", "bob@acme.test", "--role", "admin"])
        .fails(2)
        .stderr_has("--org");

    let listed = server
        .as_operator()
        .args(["account", "list", "--json"])
        .ok()
        .json();
    assert_eq!(listed, Value::Array(server.operator().all("/v1/accounts")));

    // rotate-token: needs --yes; the old token stops working, the new one works.
    let old = created["token"].as_str().unwrap();
    server
        .as_operator()
        .args(["account", "rotate-token", &ann])
        .fails(2)
        .stderr_has("--yes");
    let new = server
        .as_operator()
        .args(["account", "rotate-token", &ann, "--yes", "-q"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    assert_eq!(server.as_token(old).get("/v1/me").status, 401);
    assert_eq!(server.as_token(&new).get("/v1/me").body["id"], ann.as_str());
    server
        .run_with(old)
        .args(["grant", "list"])
        .fails(4)
        .stderr_has("hint:");

    // disable: needs --yes; then the account's token stops working.
    server
        .as_operator()
        .args(["account", "disable", &ann])
        .fails(2)
        .stderr_has("--yes");
    assert_eq!(server.as_token(&new).get("/v1/me").status, 200);
    server
        .as_operator()
        .args(["account", "disable", &ann, "--yes"])
        .ok();
    assert_eq!(server.as_token(&new).get("/v1/me").status, 401);
    let api = server.operator().all("/v1/accounts");
    let account = api.iter().find(|a| a["id"] == ann.as_str()).unwrap();
    assert_eq!(account["status"], "disabled");
    server
        .as_operator()
        .args([
            "account",
            "disable",
            "acc_00000000000000000000000000",
            "--yes",
        ])
        .fails(3);

    server
        .as_support()
        .args(["account", "create", "x@y.test", "--role", "support"])
        .fails(5);
}
