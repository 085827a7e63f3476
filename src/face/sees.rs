//! What each kind of caller would see of a citizen's control cases: the questions the face
//! asks SF1472 on a citizen's page, each answered by [`sf1472_kontrolsag::apply`] — the rule
//! the service runs — and the same question written as a `KontrolsagListeHent_I` for Try it.

use chrono::NaiveDate;

use crate::security::{Caller, SecurityModel};
use crate::services::k2017::{Fejl, HovedOplysninger, KONTEKST_NS};
use crate::services::sf1472_kontrolsag::{self as sf1472, Hjemmel, Selection};
use crate::world::{AuthorityId, CitizenId, Cpr, Cvr, Sector, World};

/// One question to SF1472 about a citizen: who asks, under which hjemmel, with which consent
/// date and naming which authority (`MyndighedCVRNummer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub caller: Cvr,
    pub hjemmel: Hjemmel,
    /// `SamtykkeDato`, sent only under stk. 1.
    pub consent: Option<NaiveDate>,
    /// `MyndighedCVRNummer`: the authority whose cases are asked for.
    pub target: Option<Cvr>,
}

/// The `Hjemmel` code on the wire.
pub fn hjemmel_code(h: Hjemmel) -> &'static str {
    match h {
        Hjemmel::Stk1 => "UDBL_11A_STK1",
        Hjemmel::Stk2 => "UDBL_11A_STK2",
    }
}

impl Ask {
    /// The request as the service reads it from the XML [`Ask::operation`] writes.
    pub fn request(&self, cpr: Cpr) -> sf1472::Request<'static> {
        sf1472::Request {
            hoved: HovedOplysninger {
                transaktions_id: "".into(),
                transaktions_tid: "".into(),
                municipality_cvr: Some(self.caller.to_string().into()),
            },
            cpr: Some(cpr.to_string().into()),
            hjemmel: Some(hjemmel_code(self.hjemmel).into()),
            samtykke_dato: self
                .consent
                .filter(|_| self.hjemmel == Hjemmel::Stk1)
                .map(|d| d.to_string().into()),
            myndighed_cvr: self.target.map(|t| t.to_string().into()),
            ansoegning_ydelse: None,
        }
    }

    /// What the rules answer to this question in `world` on `today`: the call the service
    /// makes, with the caller established from the request's AuthorityContext.
    pub fn answer(&self, world: &World, cpr: Cpr, today: NaiveDate) -> Result<Selection, Vec<Fejl>> {
        let caller = Caller {
            cvr: self.caller,
            model: SecurityModel::AuthorityContext,
            system: None,
        };
        sf1472::apply(world, &caller, &self.request(cpr), today)
    }

    /// The `KontrolsagListeHent_I` element asking this question, in `namespace`, stamped with a
    /// transaction ID and time.
    pub fn operation(&self, cpr: Cpr, namespace: &str, transaktions_id: &str, transaktions_tid: &str) -> String {
        use crate::soap::xml::escape;
        let r = self.request(cpr);
        let mut criteria = format!(
            "<k:PersonCPRNummer>{}</k:PersonCPRNummer><k:Hjemmel>{}</k:Hjemmel>",
            escape(r.cpr.as_deref().unwrap_or_default()),
            escape(r.hjemmel.as_deref().unwrap_or_default())
        );
        if let Some(d) = &r.samtykke_dato {
            criteria.push_str(&format!("<k:SamtykkeDato>{}</k:SamtykkeDato>", escape(d)));
        }
        if let Some(t) = &r.myndighed_cvr {
            criteria.push_str(&format!("<k:MyndighedCVRNummer>{}</k:MyndighedCVRNummer>", escape(t)));
        }
        format!(
            "<k:KontrolsagListeHent_I xmlns:k=\"{ns}\" xmlns:kontekst=\"{KONTEKST_NS}\" revision=\"1\">\
<kontekst:HovedOplysninger><kontekst:TransaktionsId>{id}</kontekst:TransaktionsId>\
<kontekst:TransaktionsTid>{tid}</kontekst:TransaktionsTid><kontekst:AuthorityContext>\
<kontekst:MunicipalityCVR>{caller}</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger>\
<k:KontrolsagSoegKriterie>{criteria}</k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>",
            ns = escape(namespace),
            id = escape(transaktions_id),
            tid = escape(transaktions_tid),
            caller = self.caller,
        )
    }
}

/// One kind of caller's view of a citizen.
#[derive(Debug, Clone)]
pub struct View {
    /// Who asks and how, in words.
    pub label: String,
    pub ask: Ask,
    pub answer: Result<Selection, Vec<Fejl>>,
}

/// What each kind of caller would see of `citizen` on `today`: Udbetaling Danmark under
/// stk. 1 (consent given today) and stk. 2, the citizen's own municipality, every other
/// municipality holding one of their cases, and the own municipality naming another
/// municipality (refused by § 11 a).
pub fn views(world: &World, citizen: CitizenId, today: NaiveDate) -> Vec<View> {
    let Some(c) = world.citizens.get(citizen as usize) else {
        return Vec::new();
    };
    let udk = world.authority(world.udk).cvr;
    let own = c.kommune;
    let name = |id: AuthorityId| world.authority(id).name.clone();
    let mut asks = vec![
        (
            format!("{} under stk. 1 (with consent given today)", name(world.udk)),
            Ask {
                caller: udk,
                hjemmel: Hjemmel::Stk1,
                consent: Some(today),
                target: None,
            },
        ),
        (
            format!("{} under stk. 2 (without consent)", name(world.udk)),
            Ask {
                caller: udk,
                hjemmel: Hjemmel::Stk2,
                consent: None,
                target: None,
            },
        ),
        (
            format!("{}, the citizen's own municipality, under stk. 2", name(own)),
            Ask {
                caller: world.authority(own).cvr,
                hjemmel: Hjemmel::Stk2,
                consent: None,
                target: None,
            },
        ),
    ];
    let mut holders: Vec<AuthorityId> = Vec::new();
    for &case in &c.cases {
        let holder = world.cases[case as usize].holder;
        if holder != own && world.authority(holder).sector == Sector::Kommune && !holders.contains(&holder) {
            holders.push(holder);
        }
    }
    for &h in &holders {
        asks.push((
            format!("{}, which holds one of the cases, under stk. 2", name(h)),
            Ask {
                caller: world.authority(h).cvr,
                hjemmel: Hjemmel::Stk2,
                consent: None,
                target: None,
            },
        ));
    }
    // The other municipality named: one holding a case, else any other.
    let other = holders
        .first()
        .copied()
        .or_else(|| world.municipalities().map(|(id, _)| id).find(|&id| id != own));
    if let Some(other) = other {
        asks.push((
            format!("{} naming {} (MyndighedCVRNummer)", name(own), name(other)),
            Ask {
                caller: world.authority(own).cvr,
                hjemmel: Hjemmel::Stk2,
                consent: None,
                target: Some(world.authority(other).cvr),
            },
        ));
    }
    asks.into_iter()
        .map(|(label, ask)| {
            let answer = ask.answer(world, c.cpr, today);
            View { label, ask, answer }
        })
        .collect()
}
