//! People: the world's citizens, searched by CPR number, name or municipality; a citizen's
//! page with their CPR data (SF1520's answer), their control cases, what each kind of caller
//! would see of them ([`super::sees`]) and the Try it form ([`super::try_it`]).

use bytes::Bytes;
use http::{Response, StatusCode};

use super::html::{Html, url_encode};
use super::sees::{self, hjemmel_code};
use super::{Nav, page};
use crate::app::{App, Loaded};
use crate::services::sf1472_kontrolsag::Hjemmel;
use crate::world::{CaseStatus, CitizenId, Cpr, World};

/// The most citizens a search lists.
pub const MAX_RESULTS: usize = 50;

/// The citizens matching `q`, in the world's order: digits match CPR numbers (a hyphen is
/// ignored), words match names and municipalities (name or four-digit code), all words
/// case-insensitively. An empty query lists the citizens with control cases.
pub fn matching(world: &World, q: &str) -> Vec<CitizenId> {
    let q = q.trim();
    let digits: String = q.chars().filter(|c| *c != '-').collect();
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    world
        .citizens
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            if q.is_empty() {
                return !c.cases.is_empty();
            }
            if !digits.is_empty() && digits.chars().all(|d| d.is_ascii_digit()) {
                return c.cpr.to_string().contains(&digits)
                    || world.authority(c.kommune).kommunekode.as_deref() == Some(digits.as_str());
            }
            let haystack = format!("{} {}", c.name(), world.authority(c.kommune).name).to_lowercase();
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .map(|(i, _)| i as CitizenId)
        .collect()
}

/// The query's `q` value, percent-decoded.
fn query_q(query: &str) -> Result<String, String> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "q" {
            return crate::admin::percent_decode(value)
                .ok_or_else(|| "the search (q) is not well percent-encoded UTF-8".to_owned());
        }
    }
    Ok(String::new())
}

/// `GET /__sfstub/ui/people?q=...`.
pub fn search(loaded: &Loaded, query: &str) -> Response<Bytes> {
    let q = match query_q(query) {
        Ok(q) => q,
        Err(why) => return super::bad_request("People", &why, Nav::People),
    };
    let q = crate::clip::clip(&q).into_owned();
    let world = &loaded.world;
    let found = matching(world, &q);
    let mut h = Html::new();
    h.raw("<h1>People</h1><form class=\"search\" method=\"get\" action=\"/__sfstub/ui/people\" role=\"search\">")
        .raw("<label for=\"q\">CPR number, name or municipality</label> <input type=\"search\" id=\"q\" name=\"q\" value=\"")
        .text(&q)
        .raw("\" autocomplete=\"off\"> <button type=\"submit\">Search</button></form>");
    h.raw("<p id=\"found\" role=\"status\">");
    if q.is_empty() {
        h.text(&format!(
            "{} of the world's {} citizens have control cases",
            found.len(),
            world.citizens.len()
        ));
    } else {
        h.text(&format!("{} citizen(s) match ", found.len()))
            .raw("<q>")
            .text(&q)
            .raw("</q>");
    }
    if found.len() > MAX_RESULTS {
        h.text(&format!("; the first {MAX_RESULTS} are listed"));
    }
    h.raw(".</p>");
    if !found.is_empty() {
        h.raw("<div class=\"scroll\"><table id=\"people\"><thead><tr><th scope=\"col\">CPR</th><th scope=\"col\">Name</th><th scope=\"col\">Municipality</th><th scope=\"col\">Control cases held by</th></tr></thead><tbody>");
        for &id in found.iter().take(MAX_RESULTS) {
            let c = &world.citizens[id as usize];
            let cpr = c.cpr.to_string();
            h.raw("<tr><td><a href=\"/__sfstub/ui/people/")
                .text(&cpr)
                .raw("\">")
                .text(&cpr)
                .raw("</a></td><td>")
                .text(&c.name())
                .raw("</td><td>")
                .text(&world.authority(c.kommune).name)
                .raw("</td><td>");
            let mut holders: Vec<&str> = Vec::new();
            for &k in &c.cases {
                let name = world.authority(world.cases[k as usize].holder).name.as_str();
                if !holders.contains(&name) {
                    holders.push(name);
                }
            }
            h.text(&if holders.is_empty() {
                "—".to_owned()
            } else {
                holders.join(", ")
            })
            .raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
    }
    page(StatusCode::OK, "People", Nav::People, &h)
}

/// The citizen a path names, or the page saying why there is none.
pub fn find(world: &World, cpr: &str) -> Result<CitizenId, Box<Response<Bytes>>> {
    let parsed = Cpr::parse(cpr.trim(), true).map_err(|e| {
        Box::new(super::bad_request(
            "No such citizen",
            &format!("{:?} is not a CPR number: {e}", crate::clip::clip(cpr)),
            Nav::People,
        ))
    })?;
    world.citizen_id_by_cpr(parsed).ok_or_else(|| {
        let mut h = Html::new();
        h.raw("<h1>No such citizen</h1><p>The world has no citizen with CPR number ")
            .text(&parsed.to_string())
            .raw(". <a href=\"/__sfstub/ui/people\">Search the citizens</a>.</p>");
        Box::new(page(StatusCode::NOT_FOUND, "No such citizen", Nav::People, &h))
    })
}

/// `GET /__sfstub/ui/people/{cpr}`: the citizen's page.
pub fn citizen(app: &App, loaded: &Loaded, cpr: &str) -> Response<Bytes> {
    let id = match find(&loaded.world, cpr) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let mut h = Html::new();
    citizen_parts(app, loaded, id, &mut h);
    let mut form = Html::new();
    super::try_it::form(app, loaded, id, None, &mut form);
    h.html(&form);
    let name = loaded.world.citizens[id as usize].name();
    page(StatusCode::OK, &name, Nav::People, &h)
}

/// The citizen's heading, CPR data, cases and views.
pub fn citizen_parts(_app: &App, loaded: &Loaded, id: CitizenId, h: &mut Html) {
    let world = &loaded.world;
    let c = &world.citizens[id as usize];
    let today = world.clock.now().date_naive();
    let cpr = c.cpr.to_string();
    h.raw("<h1>")
        .text(&c.name())
        .raw("</h1><p class=\"lead\">CPR ")
        .text(&cpr)
        .raw(" · lives in ")
        .text(&world.authority(c.kommune).name)
        .raw(" · as of ")
        .text(&today.to_string())
        .raw("</p>");
    h.raw("<nav aria-label=\"On this page\" class=\"toc\"><a href=\"#sees\">What each caller sees</a> · <a href=\"#cases\">Control cases</a> · <a href=\"#cpr\">CPR data</a> · <a href=\"#try\">Try it</a></nav>");

    // What each caller sees: the rule itself, asked every question.
    h.raw("<section id=\"sees\" aria-labelledby=\"sees-h\"><h2 id=\"sees-h\">What each caller sees</h2>")
        .raw("<p>Each answer below is computed by the rule SF1472 KontrolsagListeHent runs (Udbetaling Danmark-loven § 11 a) on the running world, today.</p><div class=\"views\">");
    for view in sees::views(world, id, today) {
        let caller = view.ask.caller.to_string();
        h.raw("<article class=\"view\" data-caller=\"")
            .text(&caller)
            .raw("\" data-hjemmel=\"")
            .text(hjemmel_code(view.ask.hjemmel))
            .raw("\" data-target=\"")
            .text(&view.ask.target.map(|t| t.to_string()).unwrap_or_default())
            .raw("\" data-outcome=\"");
        match &view.answer {
            Ok(s) => h.text(&format!("{} case(s)", s.cases.len())),
            Err(f) => h.text(&format!(
                "Fejl {}",
                f.iter().map(|f| f.id.to_string()).collect::<Vec<_>>().join(",")
            )),
        };
        h.raw("\"><h3>")
            .text(&view.label)
            .raw("</h3><p class=\"ask\">Caller CVR ")
            .text(&caller)
            .raw(", Hjemmel ")
            .text(hjemmel_code(view.ask.hjemmel));
        if let Some(d) = view.ask.consent {
            h.raw(", SamtykkeDato ").text(&d.to_string());
        }
        if let Some(t) = view.ask.target {
            h.raw(", MyndighedCVRNummer ").text(&t.to_string());
        }
        h.raw("</p>");
        match &view.answer {
            Ok(selection) if selection.cases.is_empty() => {
                h.raw("<p class=\"outcome none\">Sees no cases.</p>");
            }
            Ok(selection) => {
                h.raw("<p class=\"outcome ok\">Sees ")
                    .text(&format!("{} case(s)", selection.cases.len()))
                    .text(match selection.hjemmel {
                        Hjemmel::Stk1 => ", without steps (stk. 1):",
                        Hjemmel::Stk2 => ", with steps (stk. 2):",
                    })
                    .raw("</p><ul>");
                for &k in &selection.cases {
                    let case = &world.cases[k as usize];
                    let holder = world.authority(case.holder);
                    h.raw("<li>")
                        .text(&format!(
                            "{} ({}): {} / {}, {}",
                            holder.name,
                            holder.cvr,
                            world.classes.themes[usize::from(case.theme)].class.title,
                            world.classes.benefits[usize::from(case.benefit)].class.title,
                            status_words(case.status)
                        ))
                        .raw("</li>");
                }
                h.raw("</ul>");
            }
            Err(fejl) => {
                h.raw("<p class=\"outcome refused\">Refused:</p><ul>");
                for f in fejl {
                    h.raw("<li><strong>Fejl ")
                        .num(f.id)
                        .raw("</strong>: ")
                        .text(&f.tekst)
                        .raw("</li>");
                }
                h.raw("</ul>");
            }
        }
        h.raw("</article>");
    }
    h.raw("</div></section>");

    // The cases as the world holds them.
    h.raw("<section id=\"cases\" aria-labelledby=\"cases-h\"><h2 id=\"cases-h\">Control cases</h2>");
    if c.cases.is_empty() {
        h.raw("<p>No authority holds a control case on this citizen.</p>");
    } else {
        h.raw("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Holder</th><th scope=\"col\">Theme</th><th scope=\"col\">Benefit</th><th scope=\"col\">Status</th><th scope=\"col\">Opened</th><th scope=\"col\">Closed</th><th scope=\"col\">Steps</th></tr></thead><tbody>");
        for &k in &c.cases {
            let case = &world.cases[k as usize];
            let holder = world.authority(case.holder);
            h.raw("<tr><td>")
                .text(&holder.name)
                .raw("<br><small>CVR ")
                .text(&holder.cvr.to_string())
                .raw(" · ")
                .text(holder.sector.code())
                .raw("</small></td><td>")
                .text(world.classes.themes[usize::from(case.theme)].class.title)
                .raw("</td><td>")
                .text(world.classes.benefits[usize::from(case.benefit)].class.title)
                .raw("</td><td>")
                .text(status_words(case.status))
                .raw("</td><td>")
                .text(&case.opened.to_string())
                .raw("</td><td>")
                .text(&case.closed.map(|d| d.to_string()).unwrap_or_else(|| "—".into()))
                .raw("</td><td><ol class=\"steps\">");
            for step in &case.steps {
                h.raw("<li>")
                    .text(&step.date.to_string())
                    .raw(" ")
                    .text(world.classes.steps[usize::from(step.kind)].title)
                    .raw("</li>");
            }
            h.raw("</ol></td></tr>");
        }
        h.raw("</tbody></table></div>");
    }
    h.raw("</section>");

    // CPR data: SF1520's own answer, read back.
    h.raw("<section id=\"cpr\" aria-labelledby=\"cpr-h\"><h2 id=\"cpr-h\">CPR data</h2><p>As SF1520 PersonBaseDataExtended answers <code>PersonLookup</code> for ")
        .text(&cpr)
        .raw(":</p>");
    let mut xml = Vec::with_capacity(4096);
    crate::services::sf1520_cpr::render::person_lookup_response(
        &mut xml,
        crate::services::sf1520_cpr::NAMESPACE_V5,
        world,
        &loaded.registry,
        id,
        today,
    );
    match crate::soap::xml::leaf_texts(&xml) {
        Ok(leaves) => {
            h.raw("<div class=\"scroll\"><table class=\"cpr\"><tbody>");
            for leaf in leaves.iter().filter(|l| !l.text.is_empty()) {
                h.raw("<tr><th scope=\"row\">")
                    .text(leaf.path)
                    .raw("</th><td>")
                    .text(leaf.text)
                    .raw("</td></tr>");
            }
            h.raw("</tbody></table></div>");
        }
        Err(e) => {
            h.raw("<p class=\"error\">").text(&e).raw("</p>");
        }
    }
    h.raw("</section>");
}

/// A case's status in words.
pub fn status_words(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Aaben => "open (AABEN)",
        CaseStatus::Henlagt => "henlagt (HENLAGT)",
        CaseStatus::Afgjort => "decided (AFGJORT)",
    }
}

/// The address of a citizen's page.
pub fn href(cpr: Cpr) -> String {
    format!("/__sfstub/ui/people/{}", url_encode(&cpr.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_read_and_decoded() {
        assert_eq!(query_q("q=Sofie+Lund").unwrap(), "Sofie Lund");
        assert_eq!(query_q("x=1&q=%3Cscript%3E").unwrap(), "<script>");
        assert_eq!(query_q("").unwrap(), "");
        assert!(query_q("q=%zz").is_err());
    }
}
