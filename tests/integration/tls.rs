//! `server --tls-cert/--tls-key` with a certificate made in the test, and a client that
//! verifies it: trusted through `--ca-cert`, refused without it.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use crate::common::harness::{ServerOptions, TestServer};

/// A private CA and a server certificate for localhost / 127.0.0.1 signed by it.
pub(crate) struct Pki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub(crate) fn make_pki(dir: &Path) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "supportctl test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.use_authority_key_identifier_extension = true;
    params
        .extended_key_usages
        .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();

    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server-key.pem"),
    };
    std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
    std::fs::write(&pki.cert, cert.pem()).unwrap();
    std::fs::write(&pki.key, key.serialize_pem()).unwrap();
    pki
}

fn tls_server(pki: &Pki) -> TestServer {
    TestServer::with(ServerOptions {
        tls: Some(supportctl::server::TlsFiles {
            cert: pki.cert.clone(),
            key: pki.key.clone(),
        }),
        ..ServerOptions::default()
    })
}

#[test]
fn a_client_trusting_the_ca_talks_to_a_tls_server() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = tls_server(&pki);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let output = server
        .cli(&server.tokens.admin)
        .args([
            "grant", "create", "--level", "member", "--reason", "over TLS", "-q",
        ])
        .arg("--ca-cert")
        .arg(&pki.ca)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let id = String::from_utf8(output.stdout).unwrap();
    assert!(id.trim().starts_with("gr_"), "{id}");
    // The environment works as well as the flag.
    server
        .cli(&server.tokens.admin)
        .env("SUPPORTCTL_CA_CERT", &pki.ca)
        .args(["grant", "list", "-q"])
        .assert()
        .success()
        .stdout(predicates::str::contains(id.trim()));
}

#[test]
fn a_client_refuses_a_certificate_it_cannot_verify() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = tls_server(&pki);
    let output = server
        .cli(&server.tokens.admin)
        .args(["grant", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot reach https://"),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
}

#[test]
fn a_tls_server_does_not_speak_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = tls_server(&pki);
    let plain = server.url.replace("https://", "http://");
    let output = server
        .cli(&server.tokens.admin)
        .env("SUPPORTCTL_SERVER", &plain)
        .args(["grant", "list"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(7));
}
