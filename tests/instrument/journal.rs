//! The journal over a real socket: every kind of endpoint is recorded with what the client
//! sent and what it got; every route answers; every filter selects what it says.

use crate::harness::*;

#[test]
fn every_kind_of_endpoint_is_recorded_and_health_checks_and_admin_calls_are_not() {
    let s = serve_default();
    assert_eq!(
        s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS)).status,
        200
    );
    assert_eq!(s.get("/kontrolsaglistehent/1?wsdl").status, 200);
    assert_eq!(s.get("/healthz").status, 200);
    assert_eq!(s.get("/nowhere").status, 404);
    let rest = s.post(
        "/runtime/api/rest/wstrust/v1/issue",
        &[("Content-Type", "application/json")],
        "{}",
    );
    assert!(rest.status >= 400, "{}", rest.text());
    let oauth = s.post("/runtime/api/rest/oauth/v1/issue", &[], "grant_type=client_credentials");
    assert!(oauth.status >= 400);
    let sts = s.soap12(
        "/runtime/services/kombittrust/14/certificatemixed",
        &crate::token::rst("http://entityid.kombit.dk/service/kontrolsaglistehent/1", UDK, false),
    );
    // Off mode: the STS issues for an unsigned RST too.
    assert_eq!(sts.status, 200);
    s.get("/__sfstub/journal");

    let page = s.journal("order=asc");
    let entries = page["entries"].as_array().unwrap();
    let seen: Vec<(&str, &str, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap(),
                e["path"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/kontrolsaglistehent/1", 200),
            ("GET", "/kontrolsaglistehent/1", 200),
            ("GET", "/nowhere", 404),
            ("POST", "/runtime/api/rest/wstrust/v1/issue", rest.status as u64),
            ("POST", "/runtime/api/rest/oauth/v1/issue", oauth.status as u64),
            (
                "POST",
                "/runtime/services/kombittrust/14/certificatemixed",
                sts.status as u64
            ),
        ]
    );
    let ids: Vec<u64> = entries.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "IDs count up: {ids:?}");
    assert_eq!(entries[1]["query"], "wsdl");
    assert_eq!(entries[1]["service"], "SF1472 KontrolsagListeHent");
    assert_eq!(entries[2]["outcome"]["kind"], "error");
    assert_eq!(entries[3]["service"], "SF1514 STS, REST (JSON)");
    assert_eq!(entries[5]["service"], "SF1514 Security Token Service");
    assert_eq!(entries[5]["operation"], "Issue");
    assert_eq!(entries[5]["outcome"]["kind"], "ok");
    assert_eq!(entries[5]["caller"], UDK);
    assert_eq!(
        entries[5]["security"]["token"]["verified"], false,
        "the RST's UseKey certificate, unverified in off mode"
    );
}

#[test]
fn a_kontrolsag_exchange_is_recorded_with_caller_cpr_cases_and_both_bodies() {
    let s = serve_default();
    let request = kontrolsag(KOEBENHAVN, "150780-4329");
    let before = chrono::Utc::now();
    let answer = s.soap12("/kontrolsaglistehent/1", &request);
    let after = chrono::Utc::now();
    assert_eq!(answer.status, 200);
    let page = s.journal("");
    let e = &page["entries"][0];
    // The entry's time is when the request came (its wall clock reading), in milliseconds.
    let time: chrono::DateTime<chrono::Utc> = e["time"].as_str().unwrap().parse().unwrap();
    assert!(
        before - chrono::Duration::milliseconds(1) <= time && time <= after,
        "{time}"
    );
    assert_eq!(e["service"], "SF1472 KontrolsagListeHent");
    assert_eq!(e["operation"], "KontrolsagListeHent");
    assert_eq!(e["soap_version"], "1.2");
    assert_eq!(e["caller"], KOEBENHAVN);
    assert_eq!(e["cpr"], "150780-4329");
    assert_eq!(e["security"]["mode"], "off");
    assert_eq!(e["security"]["verdict"], "accepted");
    assert_eq!(e["security"]["model"], "context");
    assert_eq!(e["outcome"]["kind"], "ok");
    assert_eq!(e["outcome"]["text"], "1 case(s)");
    assert_eq!(
        e["outcome"]["ids"],
        serde_json::json!(["0cc5d90e-0648-5c84-9b11-28bb2db50ee7"])
    );
    assert_eq!(e["request"]["bytes"], request.len());
    assert_eq!(e["request"]["truncated"], false);
    assert_eq!(e["response"]["bytes"], answer.body.len());
    assert!(e.get("request").unwrap().get("text").is_none(), "lists carry no bodies");
    let href = e["href"].as_str().unwrap();

    let full = s.get(href);
    assert_eq!(full.status, 200);
    let full = full.json();
    assert_eq!(full["request"]["text"], request);
    assert_eq!(
        full["response"]["text"].as_str().unwrap().as_bytes(),
        answer.body.as_slice()
    );

    let raw = s.get(&format!("{href}/request"));
    assert_eq!(raw.body, request.as_bytes());
    assert_eq!(raw.header("Content-Type"), Some("application/soap+xml; charset=utf-8"));
    let raw = s.get(&format!("{href}/response"));
    assert_eq!(raw.body, answer.body);
    assert_eq!(raw.header("x-sfstub-truncated"), None);
}

#[test]
fn a_refusal_and_a_fault_are_recorded_with_their_codes() {
    let s = serve_default();
    // Aalborg names no target but asks with an impossible CPR: Fejl CPR_UGYLDIG.
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(AALBORG, "3102804329"));
    s.soap12("/kontrolsaglistehent/1", "<not-soap/>");
    let refused = &s.journal("outcome=refused")["entries"][0];
    assert_eq!(refused["caller"], AALBORG);
    assert_eq!(refused["outcome"]["text"], "Fejl 1002");
    assert_eq!(refused["outcome"]["codes"], serde_json::json!(["1002"]));
    assert_eq!(s.count("outcome=refused:1002"), 1);
    assert_eq!(s.count("outcome=refused:1003"), 0);
    let fault = &s.journal("outcome=fault")["entries"][0];
    assert_eq!(fault["status"], 400);
    assert_eq!(fault["outcome"]["codes"], serde_json::json!(["Sender"]));
    assert_eq!(s.count("outcome=fault:Sender"), 1);
}

#[test]
fn a_token_call_records_the_tokens_subject_and_thumbprint_and_a_rejection_its_diagnosis() {
    use sfstub::security::SecurityMode;
    use sfstub::security::keys::{shared_test_keys, thumbprint};
    let s = serve(|app| app.security.mode = SecurityMode::Token);
    let assertion = crate::token::issue_token(
        &s.app,
        "http://entityid.kombit.dk/service/kontrolsaglistehent/1",
        AALBORG,
    );
    let operation = kontrolsag(AALBORG, JENS);
    let start = operation.find("<k:KontrolsagListeHent_I").unwrap();
    let end = operation.find("</s:Body>").unwrap();
    let signed = crate::token::Signed {
        version: sfstub::soap::SoapVersion::V12,
        action: SF1472_ACTION,
        to: "http://127.0.0.1/kontrolsaglistehent/1",
        body: &operation[start..end],
        assertion: &assertion,
        message_id: "urn:uuid:00000000-0000-4000-8000-000000000009",
        now: crate::world::now(),
    }
    .request();
    let ok = s.soap12("/kontrolsaglistehent/1", &signed);
    assert_eq!(ok.status, 200, "{}", ok.text());
    let refused = s.soap12("/kontrolsaglistehent/1", &kontrolsag(AALBORG, JENS));
    assert_eq!(refused.status, 400);

    let page = s.journal("order=asc&service=SF1472");
    let accepted = &page["entries"][0];
    assert_eq!(accepted["caller"], AALBORG);
    assert_eq!(accepted["security"]["mode"], "token");
    assert_eq!(accepted["security"]["verdict"], "accepted");
    assert_eq!(accepted["security"]["model"], "token");
    let token = &accepted["security"]["token"];
    assert_eq!(token["cvr"], AALBORG);
    assert_eq!(token["verified"], true);
    assert_eq!(token["thumbprint"], thumbprint(&shared_test_keys().client.cert_der));
    assert!(!token["subject"].as_str().unwrap().is_empty());
    let rejected = &page["entries"][1];
    assert_eq!(rejected["security"]["verdict"], "rejected");
    assert!(
        rejected["security"]["diagnosis"]
            .as_str()
            .unwrap()
            .contains("token mode"),
        "{rejected}"
    );
}

#[test]
fn every_filter_selects_what_it_says() {
    let s = serve_default();
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS)); // 1
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(AALBORG, "150780-4329")); // 2
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(UDK, "0302751234")); // 3
    s.post(
        "/kontrolsaglistehent/1",
        &[("Content-Type", "application/soap+xml; action=\"urn:wrong\"")],
        &kontrolsag(UDK, JENS),
    ); // 4: SOAP_ACTION
    s.get("/klassifikationlistehent/2?wsdl"); // 5
    std::thread::sleep(std::time::Duration::from_millis(20));
    let midway = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    s.post(
        "/kontrolsaglistehent/1",
        &[("Content-Type", "text/plain")],
        &kontrolsag(UDK, JENS),
    ); // 6: CONTENT_TYPE

    let ids = |q: &str| -> Vec<u64> {
        let page = s.journal(&format!("order=asc&{q}"));
        assert_eq!(
            page["matched"].as_u64().unwrap() as usize,
            page["entries"].as_array().unwrap().len()
        );
        assert_eq!(page["matched"].as_u64().unwrap(), s.count(q), "count agrees for {q}");
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ids("service=SF1472"), [1, 2, 3, 4, 6]);
    assert_eq!(ids("service=sf1472%20kontrolsag"), [1, 2, 3, 4, 6]);
    assert_eq!(ids("service=KlassifikationListeHent"), [5]);
    assert_eq!(ids("service=%2Fklassifikationlistehent%2F2"), [5]);
    assert_eq!(ids("operation=kontrolsaglistehent"), [1, 2, 3, 4, 6]);
    assert_eq!(ids("caller=14720006"), [3, 4, 6]);
    assert_eq!(ids("cpr=1507804329"), [1, 2, 4, 6]);
    assert_eq!(ids("cpr=150780-4329"), [1, 2, 4, 6]);
    assert_eq!(ids("outcome=ok"), [1, 2, 3, 4, 5, 6]);
    assert_eq!(ids("conformance=fail"), [4]);
    assert_eq!(ids("conformance=warn"), [4, 6]);
    assert_eq!(ids("conformance=pass"), [1, 2, 3, 5, 6]);
    assert_eq!(ids("finding=SOAP_ACTION"), [4]);
    assert_eq!(ids("finding=content_type"), [6]);
    assert_eq!(ids("since=4"), [5, 6]);
    let since = midway.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(ids(&format!("since={}", since.replace(':', "%3A"))), [6]);
    assert_eq!(ids("caller=14720006&cpr=1507804329&conformance=pass"), [6]);

    let newest_first: Vec<u64> = s.journal("limit=2")["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(newest_first, [6, 5]);
    let page = s.journal("limit=2&order=asc&since=2");
    assert_eq!(page["matched"], 4);
    assert_eq!(page["returned"], 2);
    assert_eq!(page["entries"][0]["id"], 3);
}

#[test]
fn a_huge_limit_is_capped() {
    let s = serve_default();
    s.get("/");
    let page = s.journal("limit=18446744073709551616000");
    assert_eq!(page["limit"], 1000);
    assert_eq!(page["limit_capped"], true);
    assert_eq!(page["returned"], 1);
}

#[test]
fn malformed_filters_get_400_naming_the_field() {
    let s = serve_default();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("order=sideways", "order"),
        ("caller=1234", "caller"),
        ("cpr=12", "cpr"),
        ("outcome=happy", "outcome"),
        ("conformance=maybe", "conformance"),
        ("finding=NO_SUCH_CODE", "finding"),
        ("since=last+tuesday", "since"),
        ("service=", "service"),
        ("cpr=%zz", "cpr"),
        ("colour=blue", "colour"),
        ("limit=1&limit=2", "limit"),
    ] {
        let a = s.get(&format!("/__sfstub/journal?{query}"));
        assert_eq!(a.status, 400, "{query}: {}", a.text());
        assert_eq!(a.header("Content-Type"), Some("application/json"));
        assert_eq!(a.json()["field"], field, "{query}: {}", a.text());
        assert!(!a.json()["error"].as_str().unwrap().is_empty());
    }
    let a = s.get("/__sfstub/journal/count?limit=3");
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (400, Some("limit")),
        "count takes no limit"
    );
}

#[test]
fn one_entry_by_id_and_its_errors() {
    let s = serve_default();
    s.get("/");
    assert_eq!(s.get("/__sfstub/journal/1").json()["id"], 1);
    let missing = s.get("/__sfstub/journal/99");
    assert_eq!(missing.status, 404);
    assert!(
        missing.json()["error"].as_str().unwrap().contains("entries 1 to 1"),
        "{}",
        missing.text()
    );
    for bad in ["abc", "0", "-1", "99999999999999999999999"] {
        let a = s.get(&format!("/__sfstub/journal/{bad}"));
        assert!(a.status == 400 || a.status == 404, "{bad}: {}", a.text());
        assert_eq!(a.json()["field"], "id", "{bad}: {}", a.text());
    }
}

#[test]
fn delete_clears_the_journal_and_the_report_and_ids_keep_counting() {
    let s = serve_default();
    s.get("/");
    s.get("/");
    let cleared = s.delete("/__sfstub/journal");
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.json()["cleared"], 2);
    assert_eq!(s.count(""), 0);
    assert_eq!(s.get("/__sfstub/report").json()["exchanges"], 0);
    s.get("/");
    assert_eq!(s.journal("")["entries"][0]["id"], 3);
}

#[test]
fn unknown_admin_routes_get_404_with_the_routes_and_wrong_methods_405() {
    let s = serve_default();
    let a = s.get("/__sfstub/nothing/here");
    assert_eq!(a.status, 404);
    let routes = a.json()["routes"].as_array().unwrap().clone();
    assert!(
        routes
            .iter()
            .any(|r| r["path"] == "/__sfstub/journal" && r["method"] == "GET")
    );
    assert!(
        routes
            .iter()
            .any(|r| r["path"] == "/__sfstub/journal" && r["method"] == "DELETE")
    );
    let a = s.post("/__sfstub/journal/count", &[], "");
    assert_eq!(a.status, 405);
    assert_eq!(a.header("Allow"), Some("GET"));
    let a = s.post("/__sfstub/journal", &[], "");
    assert_eq!(a.status, 405);
    assert_eq!(a.header("Allow"), Some("GET, DELETE"));
    assert_eq!(s.get("/__sfstub").status, 200);
    assert_eq!(
        s.get("/__sfstub/").json()["routes"].as_array().unwrap().len(),
        routes.len()
    );
    // Not journaled.
    assert_eq!(s.count(""), 0);
}

#[test]
fn a_journal_that_is_off_says_so_and_records_nothing() {
    let s = serve(|app| {
        app.journal = sfstub::journal::Journal::new(sfstub::journal::Config {
            max_entries: 0,
            max_bytes: sfstub::journal::DEFAULT_BYTES,
        })
    });
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS));
    for path in [
        "/__sfstub/journal",
        "/__sfstub/journal/count",
        "/__sfstub/journal/1",
        "/__sfstub/report",
    ] {
        let a = s.get(path);
        assert_eq!(a.status, 409, "{path}");
        assert!(a.json()["error"].as_str().unwrap().contains("--journal-size 0"));
    }
    assert_eq!(s.get("/__sfstub/").json()["journal"]["entries"], 0);
}
