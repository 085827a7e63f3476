//! HTTPS over a real socket: a client trusting only the exported ca.pem is served; client
//! certificates are asked for, required, refused and accepted as configured.

use sfstub::security::keys::KeyMaterial;
use sfstub::tls::ClientAuth;

use crate::helpers::{TempDir, client, exported, get, post_soap, readme_curl_body, send, spawn_tls_app};

#[tokio::test]
async fn a_client_trusting_only_the_exported_ca_gets_healthz() {
    let app = spawn_tls_app(ClientAuth::Off, None).await;
    let certs = exported(&app.keys);
    let reply = send(app.addr, client(&certs.join("ca.pem"), None), &get("/healthz"))
        .await
        .expect("an HTTPS reply");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "ok\n");
}

#[tokio::test]
async fn the_readme_soap_request_is_answered_over_https() {
    let app = spawn_tls_app(ClientAuth::Off, None).await;
    let certs = exported(&app.keys);
    let body = readme_curl_body();
    let reply = send(
        app.addr,
        client(&certs.join("ca.pem"), None),
        &post_soap("/kontrolsaglistehent/1", &body),
    )
    .await
    .expect("an HTTPS reply");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body.matches("<Kontrolsag>").count(), 1, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("<KontrolsagIdentifikation>0cc5d90e-0648-5c84-9b11-28bb2db50ee7</KontrolsagIdentifikation>"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn a_client_that_does_not_trust_sfstubs_ca_refuses_the_server() {
    let app = spawn_tls_app(ClientAuth::Off, None).await;
    let certs = exported(&app.keys);
    // sts.pem is issued by the CA, not a CA itself: the server's chain does not lead to it.
    let refused = send(app.addr, client(&certs.join("sts.pem"), None), &get("/healthz")).await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test]
async fn required_client_auth_refuses_a_client_without_a_certificate() {
    let app = spawn_tls_app(ClientAuth::Required, None).await;
    let certs = exported(&app.keys);
    let refused = send(app.addr, client(&certs.join("ca.pem"), None), &get("/healthz")).await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test]
async fn required_client_auth_serves_the_exported_client_certificate() {
    let app = spawn_tls_app(ClientAuth::Required, None).await;
    let certs = exported(&app.keys);
    let config = client(
        &certs.join("ca.pem"),
        Some((&certs.join("client.pem"), &certs.join("client-key.pem"))),
    );
    let reply = send(app.addr, config.clone(), &get("/healthz")).await.expect("served");
    assert_eq!(reply.status, 200);
    let reply = send(
        app.addr,
        config,
        &post_soap("/kontrolsaglistehent/1", &readme_curl_body()),
    )
    .await
    .expect("served");
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn optional_client_auth_serves_clients_with_and_without_a_certificate() {
    let app = spawn_tls_app(ClientAuth::Optional, None).await;
    let certs = exported(&app.keys);
    let without = send(app.addr, client(&certs.join("ca.pem"), None), &get("/healthz")).await;
    assert_eq!(without.expect("served without a certificate").status, 200);
    let with = client(
        &certs.join("ca.pem"),
        Some((&certs.join("client.pem"), &certs.join("client-key.pem"))),
    );
    assert_eq!(
        send(app.addr, with, &get("/healthz")).await.expect("served").status,
        200
    );
}

#[tokio::test]
async fn client_certificates_of_another_ca_need_tls_client_ca() {
    let other = KeyMaterial::generate(&[]).expect("other keys");
    let other_dir = exported(&other);
    let ours = spawn_tls_app(ClientAuth::Required, None).await;
    let certs = exported(&ours.keys);
    let other_client = || {
        client(
            &certs.join("ca.pem"),
            Some((&other_dir.join("client.pem"), &other_dir.join("client-key.pem"))),
        )
    };
    let refused = send(ours.addr, other_client(), &get("/healthz")).await;
    assert!(refused.is_err(), "{refused:?}");

    let with_extra = spawn_tls_app(ClientAuth::Required, Some(&other_dir.join("ca.pem"))).await;
    let reply = send(with_extra.addr, other_client(), &get("/healthz"))
        .await
        .expect("served");
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn an_extra_client_ca_file_without_certificates_is_an_error_naming_it() {
    let dir = TempDir::new("badca");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = dir.join("not-a-ca.pem");
    std::fs::write(&file, "hello\n").unwrap();
    let keys = sfstub::security::keys::shared_test_keys();
    let err = sfstub::tls::server_config(keys, ClientAuth::Required, Some(&file)).unwrap_err();
    assert!(err.to_string().contains("not-a-ca.pem"), "{err}");
}

#[tokio::test]
async fn a_failed_handshake_does_not_stop_the_server() {
    let app = spawn_tls_app(ClientAuth::Off, None).await;
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut plain = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        plain.write_all(&get("/healthz")).await.unwrap();
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(crate::helpers::IO_TIMEOUT, plain.read_to_end(&mut sink)).await;
        assert!(!String::from_utf8_lossy(&sink).contains("200 OK"));
    }
    let certs = exported(&app.keys);
    let reply = send(app.addr, client(&certs.join("ca.pem"), None), &get("/healthz")).await;
    assert_eq!(reply.expect("still serving").status, 200);
}
