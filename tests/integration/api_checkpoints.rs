//! Signed checkpoints and the vendor chain over the API: every checkpoint the server signs is
//! accepted by Go's signed-note package (an implementation that shares no code with ours), and
//! an edited one is not; the vendor chain records vendor-side changes; the key is one per
//! database and survives restarts.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use supportctl::api::chain::verify_chain;
use supportctl::api::checkpoint::Checkpoint;
use supportctl::api::tlog::{Frontier, leaf_hash};
use supportctl::server::signing::SigningConfig;

use crate::common::fixtures::*;
use crate::common::go_note::go_verify;
use crate::common::harness::{Api, Backend, PgDatabase, ServerOptions, TestServer, run_sql};

crate::common::conformance::conformance! {
    the_independent_verifier_accepts_every_checkpoint_and_rejects_edited_ones,
    the_vendor_chain_records_vendor_side_changes,
    one_key_per_database_and_it_survives_restarts,
}

/// Go's example key: a well-formed key of another server.
const OTHER_KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

fn text(api: &Api, path: &str) -> String {
    let reply = api.get(path);
    reply.assert_ok();
    assert_eq!(reply.content_type, "text/plain; charset=utf-8", "{path}");
    reply.body.as_str().expect("a text answer").to_owned()
}

fn verifier_key(server: &TestServer) -> String {
    text(&server.anonymous(), "/v1/audit/key")
}

/// The body a checkpoint of `events` must have: the size and the root of their tree.
fn expected_body(origin: &str, events: &[Value]) -> String {
    let mut tree = Frontier::default();
    for event in events {
        tree.append(leaf_hash(event["hash"].as_str().unwrap()).unwrap());
    }
    format!(
        "{origin}\n{}\n{}\n",
        events.len(),
        BASE64.encode(tree.root().0)
    )
}

/// Both verifiers, Go's and ours, accept `note` and read `body` from it.
fn assert_accepted(key: &str, note: &str, body: &str) {
    assert_eq!(
        go_verify(key, note).as_deref(),
        Ok(body),
        "Go rejected:\n{note}"
    );
    let ours = Checkpoint::open(note, key).unwrap_or_else(|e| panic!("{e}:\n{note}"));
    assert_eq!(ours.body(), body);
}

/// Both verifiers reject `note`.
fn assert_rejected(key: &str, note: &str) {
    assert!(go_verify(key, note).is_err(), "Go accepted:\n{note}");
    assert!(Checkpoint::open(note, key).is_err(), "we accepted:\n{note}");
}

fn the_independent_verifier_accepts_every_checkpoint_and_rejects_edited_ones(backend: Backend) {
    let server = TestServer::on(backend);
    let key = verifier_key(&server);
    assert!(key.ends_with('\n'), "{key:?}");
    let key = key.trim_end();
    let parts: Vec<&str> = key.splitn(3, '+').collect();
    assert_eq!(parts.len(), 3, "{key}");
    let name = parts[0];
    assert!(parts[1].len() == 8 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        BASE64.decode(parts[2]).unwrap()[0],
        1,
        "Ed25519 keys start with 0x01"
    );

    // An org with a history.
    let acme = admin(&server);
    let grant = acme.grant(json!({"level": "member", "reason": "checkpoint"}));
    revoke(&acme, ACME, &grant).assert_ok();
    let note = text(&acme, "/v1/orgs/acme/audit/checkpoint");
    let body = expected_body(&format!("{name}/orgs/acme"), &audit(&acme, ACME));
    assert_accepted(key, &note, &body);
    assert!(note.starts_with(&format!("{body}\n— {name} ")), "{note}");

    // An org with no events at all: seq 0 and 32 zero bytes.
    let empty = empty_org(&server, "empty");
    assert!(audit(&empty, "empty").is_empty());
    let note = text(&empty, "/v1/orgs/empty/audit/checkpoint");
    let zero = format!("{name}/orgs/empty\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    assert_accepted(key, &note, &zero);

    // The vendor chain.
    let operator = operator(&server);
    let vendor = operator.all("/v1/audit");
    assert!(!vendor.is_empty());
    let note = text(&operator, "/v1/audit/checkpoint");
    assert_accepted(
        key,
        &note,
        &expected_body(&format!("{name}/vendor"), &vendor),
    );

    // Edited: the seq, the hash, the origin, the signature, the signer's name; another key.
    let note = text(&acme, "/v1/orgs/acme/audit/checkpoint");
    let seq = audit(&acme, ACME).len();
    let (signed, signature) = note.split_once("\n\n— ").unwrap();
    let edits = [
        note.replacen(&format!("\n{seq}\n"), &format!("\n{}\n", seq - 1), 1),
        note.replacen(&format!("\n{seq}\n"), &format!("\n{}\n", seq + 1), 1),
        note.replacen("/orgs/acme\n", "/orgs/beta\n", 1),
        {
            let mut lines: Vec<String> = signed.lines().map(str::to_owned).collect();
            let hash = lines[2].clone();
            let flipped = if hash.starts_with('A') { "B" } else { "A" };
            lines[2] = format!("{flipped}{}", &hash[1..]);
            format!("{}\n\n— {signature}", lines.join("\n"))
        },
        {
            let (signer, sig) = signature.trim_end().split_once(' ').unwrap();
            let mut bytes = BASE64.decode(sig).unwrap();
            bytes[10] ^= 1;
            format!("{signed}\n\n— {signer} {}\n", BASE64.encode(bytes))
        },
        note.replacen(&format!("— {name} "), "— someone-else ", 1),
        signed.to_owned() + "\n",
    ];
    for edited in &edits {
        assert_ne!(edited, &note);
        assert_rejected(key, edited);
    }
    assert_rejected(OTHER_KEY, &note);
}

fn the_vendor_chain_records_vendor_side_changes(backend: Backend) {
    let server = TestServer::on(backend);
    let operator = operator(&server);
    let seeded = operator.all("/v1/audit");
    let summary: Vec<(String, String)> = seeded
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["details"]["email"]
                    .as_str()
                    .or(e["target"].as_str())
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    // The dev seeding: org acme, then the operator, support and service accounts. The admin of
    // acme belongs to acme: its creation is in acme's log, not the vendor's.
    assert_eq!(
        summary,
        [
            ("org.created", ACME),
            ("account.created", OPERATOR_EMAIL),
            ("account.created", SUPPORT_EMAIL),
            ("account.created", SERVICE_EMAIL),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );

    let engineer = create_support(&server, "new@supportctl.test");
    operator
        .post_empty(&format!("/v1/accounts/{}/rotate-token", engineer.id))
        .assert_ok();
    operator
        .post_empty(&format!("/v1/accounts/{}/disable", engineer.id))
        .assert_ok();
    create_org_with_admin(&server, "beta");
    operator.post_empty("/v1/orgs/beta/disable").assert_ok();

    let events = operator.all("/v1/audit");
    verify_chain(&events).unwrap_or_else(|e| panic!("{e}"));
    let new: Vec<(&str, &str)> = events[seeded.len()..]
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        new,
        [
            ("account.created", engineer.id.as_str()),
            ("account.token_rotated", engineer.id.as_str()),
            ("account.disabled", engineer.id.as_str()),
            ("org.created", "beta"),
            ("org.disabled", "beta"),
        ]
    );
    for event in &events[seeded.len()..] {
        assert_eq!(event["org"], "", "{event}");
        assert_eq!(event["actor"]["email"], OPERATOR_EMAIL, "{event}");
    }
    assert_eq!(events[seeded.len()]["details"]["role"], "support");

    // Filters and pages like an org's log.
    let disabled = operator.get("/v1/audit?action=account.disabled");
    disabled.assert_ok();
    assert_eq!(disabled.body["items"].as_array().unwrap().len(), 1);
    let page = operator.get("/v1/audit?limit=2");
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    let rest = operator.get(&format!(
        "/v1/audit?limit=1000&cursor={}",
        page.body["next_cursor"].as_str().unwrap()
    ));
    assert_eq!(
        rest.body["items"].as_array().unwrap().len(),
        events.len() - 2
    );

    // Only operators read it.
    for api in [admin(&server), support(&server), service(&server)] {
        api.get("/v1/audit").assert_problem(403, "forbidden");
        api.get("/v1/audit/checkpoint")
            .assert_problem(403, "forbidden");
    }
}

fn one_key_per_database_and_it_survives_restarts(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let pg = (backend == Backend::Postgres).then(PgDatabase::create);
    let db_url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", dir.path().join("keep.db").display()),
    };
    let options = ServerOptions {
        backend,
        db_url: Some(db_url.clone()),
        ..ServerOptions::default()
    };

    // Two processes opening a fresh database at once each offer a key; one is kept. (The
    // schema is made first: two processes migrating one new SQLite file at once is not what
    // this is about.)
    let runtime = supportctl::server::runtime().unwrap();
    runtime
        .block_on(supportctl::server::store::open_shared(
            &db_url,
            &Default::default(),
        ))
        .unwrap();
    let keys = runtime.block_on(async {
        let open = || async {
            let store = supportctl::server::store::open_shared(&db_url, &Default::default())
                .await
                .unwrap();
            let config = SigningConfig {
                name: Some("racer".into()),
                key_file: None,
            };
            let signer = supportctl::server::signing::load(&store, &config, jiff::Timestamp::now())
                .await
                .unwrap();
            signer.verifier_key().to_owned()
        };
        tokio::join!(open(), open())
    });
    assert_eq!(keys.0, keys.1);
    drop(runtime);

    let server = TestServer::with(options.clone());
    let key = verifier_key(&server);
    assert_eq!(key.trim_end(), keys.0);
    let checkpoint = text(&server.operator(), "/v1/audit/checkpoint");
    server.stop();

    // Restarted (the seeding rotates the dev tokens: more vendor events): the same key, and
    // the old checkpoint still verifies with it.
    let server = TestServer::with(options.clone());
    assert_eq!(verifier_key(&server), key);
    let old = Checkpoint::open(&checkpoint, &key).unwrap();
    let new = Checkpoint::open(&text(&server.operator(), "/v1/audit/checkpoint"), &key).unwrap();
    assert!(new.seq > old.seq, "{} then {}", old.seq, new.seq);
    server.stop();

    // A server told another name than the key's refuses to start, rather than sign under a
    // name that earlier checkpoints do not carry.
    let error = bind_error(ServerOptions {
        signing: SigningConfig {
            name: Some("renamed".into()),
            key_file: None,
        },
        ..options.clone()
    });
    assert!(error.contains("named 'racer', not 'renamed'"), "{error}");

    // With --signing-key FILE: created at first start, used afterwards, the database's unused.
    let file = dir.path().join("checkpoint.key");
    let signing = SigningConfig {
        name: Some("filed".into()),
        key_file: Some(file.clone()),
    };
    let server = TestServer::with(ServerOptions {
        signing: signing.clone(),
        ..options.clone()
    });
    let filed = verifier_key(&server);
    assert!(filed.starts_with("filed+"), "{filed}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("PRIVATE+KEY+filed+")
    );
    server.stop();
    let server = TestServer::with(ServerOptions {
        signing: SigningConfig {
            name: None,
            key_file: Some(file.clone()),
        },
        ..options.clone()
    });
    assert_eq!(verifier_key(&server), filed);
    let note = text(&server.operator(), "/v1/audit/checkpoint");
    server.stop();
    assert!(go_verify(&filed, &note).is_ok());

    // A key file that others may read is refused, like ssh refuses such a private key.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = bind_error(ServerOptions {
            signing: SigningConfig {
                name: None,
                key_file: Some(file.clone()),
            },
            ..options
        });
        assert!(
            error.contains(&format!("chmod 600 {}", file.display())),
            "{error}"
        );
        assert!(error.contains("mode 0644"), "{error}");
    }
}

/// An org with no audit events and an admin for it. Every org the API creates has at least
/// its `org.created` event, so this one is written into the database directly.
pub fn empty_org(server: &TestServer, slug: &str) -> Api {
    let token = format!("sat_{slug}-admin-made-in-the-database");
    let hash = hex::encode(supportctl::server::tokens::hash_token(&token));
    run_sql(
        &server.db_url,
        &format!(
            "INSERT INTO orgs (slug, name, created_at, audit_seq, audit_hash) \
             VALUES ('{slug}', 'Empty', 0, 0, '{}')",
            "0".repeat(64)
        ),
    );
    run_sql(
        &server.db_url,
        &format!(
            "INSERT INTO accounts (id, email, role, org_pk, token_hash, created_at) \
             SELECT 'acc_{slug}', 'admin@{slug}.test', 'admin', pk, '{hash}', 0 \
             FROM orgs WHERE slug = '{slug}'"
        ),
    );
    server.as_token(&token)
}

/// Why a server with `options` fails to start.
fn bind_error(options: ServerOptions) -> String {
    let config = supportctl::server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        db_url: options.db_url.unwrap(),
        policy: options.policy,
        pool: Default::default(),
        sweep_interval: options.sweep_interval,
        request_timeout: options.request_timeout,
        tls: None,
        auth_failures_per_minute: 0,
        account_limits: supportctl::server::account_limits::AccountLimitSettings::OFF,
        client_address_header: None,
        max_connections: options.max_connections,
        idle_timeout: options.idle_timeout,
        connections: Default::default(),
        signing: options.signing,
        webhooks: options.webhooks,
        shutdown: Default::default(),
        metrics: Default::default(),
        sso: Default::default(),
    };
    let runtime = supportctl::server::runtime().unwrap();
    let clock = std::sync::Arc::new(supportctl::server::clock::SystemClock);
    match runtime.block_on(supportctl::server::Server::bind(&config, clock)) {
        Ok(_) => panic!("the server started"),
        Err(error) => format!("{error:#}"),
    }
}
