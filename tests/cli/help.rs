//! `--help`, `serve --help` and `--version`.

use crate::util::{run, sfstub};

#[test]
fn help_lists_the_subcommands() {
    let out = run(&mut sfstub(&["--help"]));
    out.assert_success();
    let text = out.stdout_text();
    for command in ["serve", "generate", "validate"] {
        assert!(text.contains(command), "--help lacks {command}:\n{text}");
    }
}

#[test]
fn serve_help_lists_the_flags_and_their_environment_variables() {
    let out = run(&mut sfstub(&["serve", "--help"]));
    out.assert_success();
    let text = out.stdout_text();
    for flag in [
        "--scenario",
        "--listen",
        "--max-body",
        "--max-depth",
        "--clock",
        "--log",
    ] {
        assert!(text.contains(flag), "serve --help lacks {flag}:\n{text}");
    }
    for var in ["SFSTUB_SCENARIO", "SFSTUB_LISTEN", "SFSTUB_MAX_BODY"] {
        assert!(text.contains(var), "serve --help lacks {var}:\n{text}");
    }
    assert!(text.contains("127.0.0.1:8080"), "the default address is shown:\n{text}");
}

#[test]
fn generate_help_lists_its_flags() {
    let out = run(&mut sfstub(&["generate", "--help"]));
    out.assert_success();
    let text = out.stdout_text();
    for flag in ["--with-cases", "--authorities", "--format", "--scenario", "--clock"] {
        assert!(text.contains(flag), "generate --help lacks {flag}:\n{text}");
    }
}

#[test]
fn version_prints_the_package_version() {
    let out = run(&mut sfstub(&["--version"]));
    out.assert_success();
    assert_eq!(
        out.stdout_text().trim(),
        format!("sfstub {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_subcommand_is_a_usage_error() {
    let out = run(&mut sfstub(&[]));
    assert!(!out.status.success());
    assert!(out.stderr.contains("Usage"), "{}", out.stderr);
}

#[test]
fn an_unknown_flag_is_named() {
    let out = run(&mut sfstub(&["serve", "--listne", "127.0.0.1:0"]));
    assert!(!out.status.success());
    assert!(out.stderr.contains("--listne"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

#[test]
fn serve_and_token_help_explain_the_two_clocks() {
    for command in ["serve", "token"] {
        let out = run(&mut sfstub(&[command, "--help"]));
        out.assert_success();
        let text = out.stdout_text().split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [
            "--security-clock",
            "SFSTUB_SECURITY_CLOCK",
            "real time",
            "--clock",
            "business dates",
        ] {
            assert!(text.contains(needle), "{command} --help lacks {needle:?}:\n{text}");
        }
    }
}
