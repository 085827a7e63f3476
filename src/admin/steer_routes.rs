//! The admin routes that steer sfstub in tests: fault rules, persons added to the running
//! world, reset, reload, metrics.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};

use super::{AdminError, AdminRequest, Field, In, Param, Resp, Route, Schema, json_response, response};
use crate::app::App;
use crate::live::{self, AddError, ReloadError};
use crate::scenario::Problem;
use crate::world::Cpr;

const RULE_ID: [Param; 1] = [Param {
    name: "id",
    location: In::Path,
    required: true,
    schema: Schema::Text,
    description: "A fault rule's ID (given in the rule, or `f1`, `f2`, ... for rules added without one; `scenario-1`, ... for the scenario's).",
    example: "slow-sf1472",
}];

const CPR: [Param; 1] = [Param {
    name: "cpr",
    location: In::Path,
    required: true,
    schema: Schema::Text,
    description: "A CPR number (10 digits, a hyphen is ignored).",
    example: "0101901234",
}];

const INVALID: Resp = Resp {
    status: 400,
    description: "the body does not parse or is not valid: `field` names the first problem, `problems` lists them all with line and column",
    media: "application/json",
    schema: "Problems",
};

const NO_RULE: Resp = Resp {
    status: 404,
    description: "no rule with this ID is held (never added, deleted, spent or expired)",
    media: "application/json",
    schema: "Error",
};

/// The example rule of the documentation.
pub const RULE_EXAMPLE: &str =
    r#"{"id": "slow-sf1472", "match": {"service": "SF1472"}, "delay": "10ms", "times": 100}"#;
/// The example person of the documentation.
pub const PERSON_EXAMPLE: &str = r#"{"cpr": "0101901234", "name": "Test Testesen", "kommune": "0101", "cases": [{"holder": "UDK", "theme": "SAMLIV", "benefit": "BOERNETILSKUD", "status": "AABEN", "opened": "-30d"}]}"#;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/faults",
            summary: "Fault rules",
            description: "Every rule held, in the order they are tried (the scenario's first), with how many calls each has seen and hit.",
            params: &[],
            responses: &[Resp {
                status: 200,
                description: "the rules",
                media: "application/json",
                schema: "Rules",
            }],
            handler: list_faults,
        },
        Route {
            method: Method::POST,
            path: "/faults",
            summary: "Add fault rules",
            description: "One rule, a list, or `faults: [...]` as in a scenario file (JSON or YAML). A rule with the ID of one held replaces it. All or none.",
            params: &[],
            responses: &[
                Resp {
                    status: 201,
                    description: "the rules were added; their IDs",
                    media: "application/json",
                    schema: "RulesAdded",
                },
                INVALID,
                Resp {
                    status: 409,
                    description: "more than 1000 rules would be held",
                    media: "application/json",
                    schema: "Error",
                },
            ],
            handler: add_faults,
        },
        Route {
            method: Method::DELETE,
            path: "/faults",
            summary: "Remove every fault rule",
            description: "The scenario's rules too, until a reset (`POST /__sfstub/reset?only=faults`) or a reload arms them again.",
            params: &[],
            responses: &[Resp {
                status: 200,
                description: "how many rules were removed",
                media: "application/json",
                schema: "Cleared",
            }],
            handler: |app, _| Ok(json_response(StatusCode::OK, &json!({ "cleared": app.faults.clear() }))),
        },
        Route {
            method: Method::GET,
            path: "/faults/{id}",
            summary: "One fault rule",
            description: "The rule with its counters.",
            params: &RULE_ID,
            responses: &[
                Resp {
                    status: 200,
                    description: "the rule",
                    media: "application/json",
                    schema: "Rule",
                },
                NO_RULE,
            ],
            handler: one_fault,
        },
        Route {
            method: Method::DELETE,
            path: "/faults/{id}",
            summary: "Remove one fault rule",
            description: "Removes the rule (a scenario rule until a reset or reload).",
            params: &RULE_ID,
            responses: &[
                Resp {
                    status: 200,
                    description: "the rule was removed",
                    media: "application/json",
                    schema: "Cleared",
                },
                NO_RULE,
            ],
            handler: delete_fault,
        },
        Route {
            method: Method::GET,
            path: "/persons",
            summary: "Persons added",
            description: "The persons added through the admin API, as given (normalised).",
            params: &[],
            responses: &[Resp {
                status: 200,
                description: "the added persons",
                media: "application/json",
                schema: "Persons",
            }],
            handler: list_persons,
        },
        Route {
            method: Method::POST,
            path: "/persons",
            summary: "Add persons to the running world",
            description: "One person, a list, or `persons: [...]` exactly as in a scenario file (JSON or YAML), with their control cases. Served at once by every service (SF1472, SF1520, SF1500 and SF1510 identifiers agree). A person with the CPR number of one added earlier replaces it; the CPR number of a citizen of the scenario is refused (409). All or none; at most 1000 added persons with 10 000 cases in all.",
            params: &[],
            responses: &[
                Resp {
                    status: 201,
                    description: "the persons were added",
                    media: "application/json",
                    schema: "PersonsAdded",
                },
                INVALID,
                Resp {
                    status: 409,
                    description: "a CPR number is a citizen of the scenario, or the bound on added persons would be passed",
                    media: "application/json",
                    schema: "Error",
                },
            ],
            handler: add_persons,
        },
        Route {
            method: Method::GET,
            path: "/persons/{cpr}",
            summary: "One citizen of the world",
            description: "Any citizen (generated, from the scenario, or added): name, municipality, control cases with the identifiers SF1472, SF1500 and SF1510 give them, and where the citizen comes from.",
            params: &CPR,
            responses: &[
                Resp {
                    status: 200,
                    description: "the citizen",
                    media: "application/json",
                    schema: "Citizen",
                },
                Resp {
                    status: 404,
                    description: "no citizen of the world has this number",
                    media: "application/json",
                    schema: "Error",
                },
            ],
            handler: one_person,
        },
        Route {
            method: Method::DELETE,
            path: "/persons/{cpr}",
            summary: "Remove an added person",
            description: "Removes a person added through the admin API (the scenario's citizens stay).",
            params: &CPR,
            responses: &[
                Resp {
                    status: 200,
                    description: "the person was removed",
                    media: "application/json",
                    schema: "Cleared",
                },
                Resp {
                    status: 404,
                    description: "no person with this number was added",
                    media: "application/json",
                    schema: "Error",
                },
            ],
            handler: delete_person,
        },
        Route {
            method: Method::POST,
            path: "/reset",
            summary: "Back to the scenario as loaded",
            description: "Forgets the added persons, re-arms the scenario's fault rules (dropping those added, counters at zero) and clears the journal; `only` does one of them.",
            params: &[Param {
                name: "only",
                location: In::Query,
                required: false,
                schema: Schema::Enum(&["persons", "faults", "journal"]),
                description: "Reset only this.",
                example: "journal",
            }],
            responses: &[Resp {
                status: 200,
                description: "what was reset",
                media: "application/json",
                schema: "Reset",
            }],
            handler: reset,
        },
        Route {
            method: Method::POST,
            path: "/reload",
            summary: "Reload the scenario file",
            description: "Reads the scenario file again and serves its world with the added persons. A broken file changes nothing (422 with every problem, file:line:column and field); requests in flight finish on the world they started with.",
            params: &[],
            responses: &[
                Resp {
                    status: 200,
                    description: "the new world serves",
                    media: "application/json",
                    schema: "Reloaded",
                },
                Resp {
                    status: 422,
                    description: "the file is broken; the old world keeps serving",
                    media: "application/json",
                    schema: "Problems",
                },
            ],
            handler: reload,
        },
        Route {
            method: Method::GET,
            path: "/metrics",
            summary: "Prometheus metrics",
            description: "Requests by service, operation, outcome and status; latency histograms; injected faults; reloads; journal and world size; fault rules held. Prometheus text format 0.0.4.",
            params: &[],
            responses: &[Resp {
                status: 200,
                description: "the metrics",
                media: "text/plain",
                schema: "",
            }],
            handler: metrics,
        },
    ]
}

/// A 400 listing every problem, the first one's field as `field`.
fn problems(what: &str, problems: &[Problem]) -> Response<Bytes> {
    let list: Vec<Value> = problems
        .iter()
        .map(|p| {
            let mut v = json!({ "field": p.field, "message": p.message });
            if p.line > 0 {
                v["line"] = json!(p.line);
                v["column"] = json!(p.column);
            }
            v
        })
        .collect();
    let first = problems.first();
    let message = match first {
        Some(p) if p.field.is_empty() => format!("{what}: {}", p.message),
        Some(p) => format!("{what}: {}: {}", p.field, p.message),
        None => what.to_owned(),
    };
    let mut body = json!({ "error": message, "problems": list });
    if let Some(p) = first.filter(|p| !p.field.is_empty()) {
        body["field"] = json!(p.field);
    }
    json_response(StatusCode::BAD_REQUEST, &body)
}

/// The body as UTF-8 text.
fn text<'a>(req: &'a AdminRequest<'_>) -> Result<&'a str, AdminError> {
    std::str::from_utf8(req.body).map_err(|_| AdminError::bad("body", "the body is not UTF-8 text (JSON or YAML)"))
}

fn list_faults(app: &App, _: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    Ok(json_response(StatusCode::OK, &json!({ "rules": app.faults.json() })))
}

fn add_faults(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let text = text(req)?;
    let seed = app.faults.seed();
    // Besides sfstub's own services, those a scenario serves from contracts.
    let loaded = app.loaded();
    let serves = |text: &str| {
        loaded
            .services
            .iter()
            .any(|s| crate::services::catalogue::names(text, s.title(), s.paths()))
    };
    let rules = match crate::scenario::parse_faults(text, seed, &mut || app.faults.next_id(), &serves) {
        Ok(r) => r,
        Err(p) => return Ok(problems("the fault rules are not valid", &p)),
    };
    match app.faults.add(rules) {
        Ok(ids) => Ok(json_response(
            StatusCode::CREATED,
            &json!({ "added": ids, "rules": app.faults.len() }),
        )),
        Err(crate::faults::AddError::TooMany { held, adding }) => Err(AdminError::status(
            StatusCode::CONFLICT,
            format!(
                "at most {} fault rules are held ({held} held, {adding} more asked for); DELETE /__sfstub/faults removes them",
                crate::faults::MAX_RULES
            ),
        )),
    }
}

fn one_fault(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let id = req.path("id").unwrap_or("");
    match app.faults.get(id) {
        Some(v) => Ok(json_response(StatusCode::OK, &v)),
        None => Err(no_rule(app, id)),
    }
}

fn no_rule(app: &App, id: &str) -> AdminError {
    let held: Vec<String> = app
        .faults
        .json()
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    AdminError::status(
        StatusCode::NOT_FOUND,
        format!(
            "no fault rule {:?} is held; held: {}",
            crate::clip::clip(id),
            if held.is_empty() {
                "none".to_owned()
            } else {
                held.join(", ")
            }
        ),
    )
}

fn delete_fault(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let id = req.path("id").unwrap_or("");
    if app.faults.remove(id) {
        Ok(json_response(StatusCode::OK, &json!({ "cleared": 1 })))
    } else {
        Err(no_rule(app, id))
    }
}

fn list_persons(app: &App, _: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let loaded = app.loaded();
    let persons: Vec<Value> = loaded
        .added
        .iter()
        .filter_map(|p| loaded.world.citizen_by_cpr(p.cpr))
        .map(|c| crate::world::export::citizen_json(&loaded.world, c))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "persons": persons, "max_persons": live::MAX_ADDED_PERSONS, "max_cases": live::MAX_ADDED_CASES }),
    ))
}

fn add_persons(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let text = text(req)?;
    let anchor = app.loaded().scenario.anchor;
    let persons = match crate::scenario::parse_persons(text, anchor) {
        Ok(p) => p,
        Err(p) => return Ok(problems("the persons are not valid", &p)),
    };
    let form_prefix = |index: usize| -> String {
        // The field as the body named it: one person, a list, or `persons:`.
        let trimmed = text.trim_start();
        if trimmed.starts_with('[') || trimmed.starts_with('-') {
            format!("[{index}].cpr")
        } else if persons_key(trimmed) {
            format!("persons[{index}].cpr")
        } else {
            "cpr".to_owned()
        }
    };
    match live::add_persons(app, persons) {
        Ok(added) => Ok(json_response(
            StatusCode::CREATED,
            &json!({
                "added": added.added,
                "replaced": added.replaced,
                "persons": added.total,
                "citizens": app.loaded().world.citizens.len(),
            }),
        )),
        Err(AddError::Taken { index, cpr }) => Err(AdminError {
            status: StatusCode::CONFLICT,
            message: format!(
                "{cpr} is a citizen of the scenario; an added person needs a number of its own (GET /__sfstub/persons/{cpr} shows who has it)"
            ),
            field: Some(Field::Named(form_prefix(index))),
        }),
        Err(AddError::Relation { index, field, cpr }) => {
            let name = form_prefix(index);
            let name = name.strip_suffix("cpr").unwrap_or(&name).to_owned() + &field;
            Err(AdminError {
                status: StatusCode::BAD_REQUEST,
                message: format!(
                    "{cpr} is no citizen of the world: relations name citizens of the scenario or persons added (in this body or before)"
                ),
                field: Some(Field::Named(name)),
            })
        }
        Err(AddError::TooMany(why)) => Err(AdminError {
            status: StatusCode::CONFLICT,
            message: why,
            field: Some(Field::Static("persons")),
        }),
    }
}

/// True when a body's top-level mapping has a `persons` key (roughly: the text starts with it).
fn persons_key(text: &str) -> bool {
    let t = text.trim_start_matches(['{', ' ', '\n', '\r', '\t']);
    t.starts_with("persons") || t.starts_with("\"persons\"") || t.starts_with("'persons'")
}

fn cpr_param(req: &AdminRequest<'_>) -> Result<Cpr, AdminError> {
    let text = req.path("cpr").unwrap_or("");
    Cpr::parse(text, true).map_err(|e| AdminError::bad("cpr", e.to_string()))
}

fn one_person(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let cpr = cpr_param(req)?;
    let loaded = app.loaded();
    let world = &loaded.world;
    let Some(citizen) = world.citizen_by_cpr(cpr) else {
        return Err(AdminError::status(
            StatusCode::NOT_FOUND,
            format!("no citizen of the world has the CPR number {cpr}; POST /__sfstub/persons adds one"),
        ));
    };
    let mut v = crate::world::export::citizen_json(world, citizen);
    let index = world.citizens.iter().position(|c| c.cpr == cpr).unwrap_or(usize::MAX);
    let origin = if index >= world.scenario_citizens {
        "added"
    } else if loaded.scenario.persons.iter().any(|p| p.cpr == cpr) {
        "scenario"
    } else {
        "generated"
    };
    v["origin"] = json!(origin);
    // What SF1520 says beyond the world's facts: address and relations.
    if let Some((_, record)) = loaded.registry.lookup(world, cpr) {
        let cpr_of = |id: u32| world.citizens.get(id as usize).map(|c| c.cpr.to_string());
        let a = &record.address;
        let place = a.postnummer_and_town();
        v["sf1520"] = json!({
            "address": format!(
                "{}{}",
                a.standard(),
                place.map(|(p, t)| format!(", {p} {t}")).unwrap_or_default()
            ),
            "civilstand": record.civilstand.code(),
            "spouse": record.spouse.and_then(cpr_of),
            "mother": record.mother.and_then(cpr_of),
            "father": record.father.and_then(cpr_of),
            "children": record.children.iter().filter_map(|&c| cpr_of(c)).collect::<Vec<_>>(),
        });
    }
    v["kommune_cvr"] = json!(world.authority(citizen.kommune).cvr.to_string());
    // The identifiers other services give what the cases name, so a test can follow them.
    if let Some(cases) = v["cases"].as_array_mut() {
        for (case, &id) in cases.iter_mut().zip(&citizen.cases) {
            let k = &world.cases[id as usize];
            let holder = world.authority(k.holder);
            case["holder_sf1500_virksomhed"] =
                json!(crate::services::sf1500_organisation::register::virksomhed_uuid(holder.cvr).to_string());
            case["theme_sf1510_klasse"] = json!(world.classes.themes[usize::from(k.theme)].class.uuid.to_string());
            case["benefit_sf1510_klasse"] =
                json!(world.classes.benefits[usize::from(k.benefit)].class.uuid.to_string());
        }
    }
    Ok(json_response(StatusCode::OK, &v))
}

fn delete_person(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let cpr = cpr_param(req)?;
    if live::remove_person(app, cpr) {
        Ok(json_response(StatusCode::OK, &json!({ "cleared": 1 })))
    } else {
        Err(AdminError::status(
            StatusCode::NOT_FOUND,
            format!("no person with the CPR number {cpr} was added through the admin API"),
        ))
    }
}

fn reset(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let only = req.query("only");
    let mut done = serde_json::Map::new();
    if only.is_none_or(|o| o == "persons") {
        done.insert("persons".into(), json!(live::reset_persons(app)));
    }
    if only.is_none_or(|o| o == "faults") {
        done.insert("faults".into(), json!(app.faults.reset()));
        done.insert("rules".into(), json!(app.faults.len()));
    }
    if only.is_none_or(|o| o == "journal") {
        done.insert("journal".into(), json!(app.journal.clear()));
    }
    Ok(json_response(StatusCode::OK, &json!({ "reset": done })))
}

fn reload(app: &App, _: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    match live::reload(app) {
        Ok(r) => Ok(json_response(
            StatusCode::OK,
            &json!({
                "reloaded": r.file,
                "scenario": r.name,
                "citizens": r.citizens,
                "cases": r.cases,
                "dropped_persons": r.dropped,
                "notes": r.notes,
            }),
        )),
        Err(ReloadError::Broken(e)) => {
            let mut body = json!({
                "error": format!("{} is broken; the old world keeps serving", e.file),
                "problems": e.problems.iter().map(|p| {
                    let mut v = json!({ "field": p.field, "message": p.message });
                    if p.line > 0 {
                        v["line"] = json!(p.line);
                        v["column"] = json!(p.column);
                    }
                    v
                }).collect::<Vec<_>>(),
                "text": e.to_string(),
            });
            if let Some(p) = e.problems.first().filter(|p| !p.field.is_empty()) {
                body["field"] = json!(p.field);
            }
            Ok(json_response(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
    }
}

fn metrics(app: &App, _: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let loaded = app.loaded();
    let journal = app.journal.stats();
    let sizes = crate::metrics::Sizes {
        journal_entries: journal.entries,
        journal_bytes: journal.bytes,
        citizens: loaded.world.citizens.len(),
        added_persons: loaded.added.len(),
        cases: loaded.world.cases.len(),
        rules: app.faults.len(),
    };
    Ok(response(
        StatusCode::OK,
        crate::metrics::CONTENT_TYPE,
        app.metrics.encode(sizes).into_bytes(),
    ))
}
