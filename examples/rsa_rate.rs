//! RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second on one core, with the library sfstub
//! signs with (aws-lc-rs, through `sfstub::security::crypto`) and with ring (which sfstub also
//! links, through rustls), on the same key; run it beside `openssl speed -seconds 5 -multi 1
//! rsa2048` to compare the three under the same load.
//!
//! `cargo run --release --example rsa_rate [seconds]`

use std::time::{Duration, Instant};

use sfstub::security::crypto::PrivateKey;

fn rate(seconds: f64, mut sign: impl FnMut()) -> f64 {
    sign();
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        sign();
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let key = PrivateKey::generate().expect("an RSA key");
    let message = [0x5a_u8; 1200];
    let aws = rate(seconds, || {
        key.sign_pkcs1_sha256(&message).expect("aws-lc-rs signs");
    });
    println!("aws-lc-rs: {aws:.0} signs/s ({:.0} µs each)", 1e6 / aws);
    let pair = ring::signature::RsaKeyPair::from_pkcs8(key.pkcs8_der()).expect("ring reads the key");
    let random = ring::rand::SystemRandom::new();
    let mut signature = vec![0; pair.public().modulus_len()];
    let ring_rate = rate(seconds, || {
        pair.sign(&ring::signature::RSA_PKCS1_SHA256, &random, &message, &mut signature)
            .expect("ring signs");
    });
    println!("ring:      {ring_rate:.0} signs/s ({:.0} µs each)", 1e6 / ring_rate);
}
