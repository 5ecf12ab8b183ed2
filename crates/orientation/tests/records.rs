//! Calls, offers and requests read from forms and kept on the desk: what is refused and why,
//! what a decision changes, and what withdrawal and retention erase.

use chrono::NaiveDate;
use kommon_orientation::request::Choices;
use kommon_orientation::{
    CallForVolunteers, CallStatus, HelpRequest, Nomenclature, OrientationDesk, OrientationError,
    PlaceOrientation, RequestKind, RequestStatus,
};
use kommon_rdf::QuadStore;
use kommon_vocab::SkillScheme;

const MENUISERIE: &str = "https://w3id.org/kommon/skills/menuiserie";
const STEP_FREE: &str = "https://w3id.org/kommon/ns#access-step-free-entrance";
const SAINT_DENIS: &str = "https://w3id.org/kommon/ns#commune-saint-denis";
const K: &str = "https://w3id.org/kommon/ns#";

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
}

struct World {
    skills: Nomenclature,
    services: Nomenclature,
    communes: Vec<String>,
    accessibility: Vec<String>,
}

impl World {
    fn new() -> Self {
        World {
            skills: Nomenclature::new(&SkillScheme::bundled().unwrap()),
            services: Nomenclature::new(&SkillScheme::service_types().unwrap()),
            communes: vec![SAINT_DENIS.to_owned()],
            accessibility: vec![STEP_FREE.to_owned()],
        }
    }
    fn choices(&self) -> Choices<'_> {
        Choices {
            skills: &self.skills,
            services: &self.services,
            communes: &self.communes,
            accessibility: &self.accessibility,
        }
    }
    fn call(&self, extra: &[(&str, &str)]) -> Result<CallForVolunteers, OrientationError> {
        let mut f = fields(&[
            ("titre", "Bancs du jardin"),
            ("description", "Construire des bancs."),
            ("competences", MENUISERIE),
            ("creneau_jour_1", "samedi"),
            ("creneau_debut_1", "10:00"),
            ("creneau_fin_1", "13:00"),
            ("places", "1"),
            ("date_limite", "2027-04-30"),
            ("contact_email", "benevolat@le6b.example"),
        ]);
        for (k, v) in extra {
            f.retain(|(key, _)| key != k);
            f.push((k.to_string(), v.to_string()));
        }
        let audiences = vec![format!("{K}audience-everyone")];
        let choices = kommon_orientation::call::CallChoices {
            accessibility: &self.accessibility,
            audiences: &audiences,
        };
        CallForVolunteers::from_form(&f, "c1", "le-6b", &self.skills, &choices, today(), 1)
    }
    fn offer(
        &self,
        extra: &[(&str, &str)],
        without: &[&str],
    ) -> Result<HelpRequest, OrientationError> {
        let mut f = fields(&[
            ("nom", "Yanis"),
            ("courriel", "yanis@example.org"),
            ("message", "travail du bois"),
            ("dispo", "sa-matin"),
            ("commune", SAINT_DENIS),
            ("consentement", "on"),
        ]);
        f.retain(|(k, _)| !without.contains(&k.as_str()));
        f.extend(fields(extra));
        HelpRequest::from_form(
            &f,
            RequestKind::Volunteer,
            "t1",
            "le-6b",
            &self.choices(),
            1,
        )
    }
}

#[test]
fn calls_are_checked_field_by_field() {
    let w = World::new();
    let call = w.call(&[]).unwrap();
    assert_eq!(call.status, CallStatus::Draft);
    assert_eq!(call.slots.len(), 1);
    for (extra, says) in [
        (vec![("titre", "")], "titre"),
        (vec![("creneau_fin_1", "09:00")], "finit avant de commencer"),
        (vec![("creneau_jour_1", "jeudredi")], "jeudredi"),
        (vec![("creneau_fin_1", "")], "créneau"),
        (
            vec![("competences", "https://evil.example/x")],
            "référentiel",
        ),
        (
            vec![("accessibilite", "https://evil.example/x")],
            "accessibilité",
        ),
        (vec![("public", "https://evil.example/x")], "public visé"),
        (vec![("places", "0")], "nombre de bénévoles"),
        (vec![("places", "beaucoup")], "nombre de bénévoles"),
        (vec![("date_limite", "2027-02-01")], "date passée"),
        (vec![("date_limite", "2027-02-30")], "2027-02-30"),
        (vec![("contact_email", "nope")], "adresse électronique"),
    ] {
        let err = w.call(&extra).unwrap_err();
        assert!(err.to_string().contains(says), "{extra:?}: {err}");
        assert_eq!(err.status(), 400);
    }
    let long = "x".repeat(201);
    assert!(matches!(
        w.call(&[("titre", &long)]),
        Err(OrientationError::TooLong(..))
    ));
}

#[test]
fn a_published_call_is_a_job_posting_for_volunteers() {
    let w = World::new();
    let call = w
        .call(&[("mineurs", "on"), ("accessibilite", STEP_FREE)])
        .unwrap();
    let o = call.to_object("https://cod.example/le-6b", None, None);
    assert_eq!(o["type"][1], "kommon:CallForVolunteers");
    assert_eq!(o["schema:employmentType"], "VOLUNTEER");
    assert_eq!(o["kommon:minorsAccepted"], true);
    assert_eq!(
        o["kommon:timeSlot"][0]["schema:byDay"][0],
        "schema:Saturday"
    );
    assert_eq!(o["schema:validThrough"], "2027-04-30T23:59:59+02:00");
    // HTML in the description is text, never markup.
    let call = w
        .call(&[("description", "<script>alert(1)</script>")])
        .unwrap();
    let o = call.to_object("https://cod.example/le-6b", None, None);
    assert_eq!(o["content"], "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
}

#[test]
fn offers_need_consent_an_address_and_something_to_go_on() {
    let w = World::new();
    let r = w.offer(&[], &[]).unwrap();
    assert_eq!(r.slots.len(), 1);
    assert!(matches!(
        w.offer(&[], &["consentement"]),
        Err(OrientationError::MissingConsent)
    ));
    assert!(matches!(
        w.offer(&[("courriel", "a b@c.d")], &["courriel"]),
        Err(OrientationError::BadEmail(_))
    ));
    assert!(matches!(
        w.offer(&[("message", "")], &["message"]),
        Err(OrientationError::NothingAsked)
    ));
    assert!(matches!(
        w.offer(&[("commune", "https://evil.example")], &["commune"]),
        Err(OrientationError::UnknownValue(..))
    ));
    assert!(matches!(
        w.offer(&[("latitude", "91"), ("longitude", "2")], &[]),
        Err(OrientationError::OutOfRange(..))
    ));
    assert!(matches!(
        w.offer(&[("latitude", "48.9")], &[]),
        Err(OrientationError::OutOfRange(..))
    ));
    assert!(matches!(
        w.offer(&[("latitude", "NaN"), ("longitude", "2")], &[]),
        Err(OrientationError::OutOfRange(..))
    ));
    assert!(matches!(
        w.offer(&[("distance", "-1")], &[]),
        Err(OrientationError::OutOfRange(..))
    ));
    assert!(matches!(
        w.offer(&[("dispo", "sa-nuit")], &[]),
        Err(OrientationError::UnknownValue(..))
    ));
    assert!(matches!(
        w.offer(
            &[
                ("date_jour_1", "2027-03-14"),
                ("date_debut_1", "18:00"),
                ("date_fin_1", "14:00")
            ],
            &[]
        ),
        Err(OrientationError::Slot(_))
    ));
    let r = w
        .offer(&[("latitude", "48.93"), ("longitude", "2.35")], &[])
        .unwrap();
    assert_eq!(r.point, Some((48.93, 2.35)));
}

#[test]
fn decisions_withdrawal_and_retention() {
    let w = World::new();
    let store = QuadStore::temporary().unwrap();
    let desk = OrientationDesk::new(&store);
    let mut call = w.call(&[]).unwrap();
    call.status = CallStatus::Published;
    desk.put_call(&call).unwrap();
    let mut a = w.offer(&[], &[]).unwrap();
    a.token = "a".into();
    let mut b = a.clone();
    b.token = "b".into();
    desk.add_request(&a).unwrap();
    desk.add_request(&b).unwrap();
    // Accepted for the call, which this fills and closes.
    let (r, c) = desk
        .accept("le-6b", "a", Some("c1"), "À samedi", today(), 10)
        .unwrap();
    assert!(matches!(r.status, RequestStatus::Accepted { .. }));
    assert_eq!(c.unwrap().status, CallStatus::Closed);
    // The call is full: b cannot be taken for it, and nothing changed for b.
    assert!(matches!(
        desk.accept("le-6b", "b", Some("c1"), "", today(), 11),
        Err(OrientationError::CallClosed)
    ));
    assert!(desk.request("le-6b", "b").unwrap().unwrap().is_pending());
    assert!(matches!(
        desk.accept("le-6b", "a", None, "", today(), 12),
        Err(OrientationError::AlreadyDecided)
    ));
    assert!(matches!(
        desk.decline("le-6b", "b", "  ", today(), 12),
        Err(OrientationError::Missing(_))
    ));
    // b withdraws: the data goes at once, and no decision is possible.
    let (before, reopened) = desk.withdraw("le-6b", "b", today(), 13).unwrap();
    assert_eq!(before.name, "Yanis");
    assert!(reopened.is_none());
    let r = desk.request("le-6b", "b").unwrap().unwrap();
    assert!(r.name.is_empty() && r.email.is_none() && r.text.is_empty());
    assert!(matches!(
        desk.decline("le-6b", "b", "non", today(), 14),
        Err(OrientationError::Withdrawn)
    ));
    assert!(matches!(
        desk.accept("le-6b", "zz", None, "", today(), 14),
        Err(OrientationError::NotFound(_))
    ));
    // Retention: the place keeps requests 7 days.
    desk.set_settings(
        "le-6b",
        &PlaceOrientation {
            retention_days: 7,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(desk.erase_expired(6 * 86_400_000).unwrap().len(), 0);
    assert_eq!(desk.erase_expired(8 * 86_400_000).unwrap().len(), 2);
    assert!(desk.requests("le-6b").unwrap().is_empty());
}

#[test]
fn a_volunteer_who_withdraws_frees_their_place_and_a_filled_call_reopens() {
    let w = World::new();
    let store = QuadStore::temporary().unwrap();
    let desk = OrientationDesk::new(&store);
    let mut call = w.call(&[]).unwrap();
    call.status = CallStatus::Published;
    call.object = Some("https://cod.example/le-6b/calls/c1".into());
    desk.put_call(&call).unwrap();
    let mut a = w.offer(&[], &[]).unwrap();
    a.token = "a".into();
    desk.add_request(&a).unwrap();
    let (_, filled) = desk
        .accept("le-6b", "a", Some("c1"), "", today(), 1)
        .unwrap();
    assert_eq!(filled.unwrap().status, CallStatus::Closed);
    let (_, reopened) = desk.withdraw("le-6b", "a", today(), 2).unwrap();
    let reopened = reopened.unwrap();
    assert_eq!(reopened.status, CallStatus::Published);
    assert!(reopened.accepted.is_empty());
    // Closed by a moderator: it stays closed.
    let (closed, was_published) = desk.close_call("le-6b", "c1").unwrap();
    assert!(was_published && closed.closed_manually);
    let mut b = w.offer(&[], &[]).unwrap();
    b.token = "b".into();
    desk.add_request(&b).unwrap();
    assert!(matches!(
        desk.accept("le-6b", "b", Some("c1"), "", today(), 3),
        Err(OrientationError::CallClosed)
    ));
}

#[test]
fn service_requests_stop_at_the_places_capacity() {
    let w = World::new();
    let store = QuadStore::temporary().unwrap();
    let desk = OrientationDesk::new(&store);
    let mut r = w.offer(&[], &[]).unwrap();
    r.kind = RequestKind::Service;
    // A place that says nothing takes no service request.
    assert!(matches!(
        desk.add_service_request(&r),
        Err(OrientationError::Full)
    ));
    desk.set_settings(
        "le-6b",
        &PlaceOrientation {
            services: vec![format!("{K}service-repair")],
            capacity: 1,
            ..Default::default()
        },
    )
    .unwrap();
    desk.add_service_request(&r).unwrap();
    r.token = "t2".into();
    assert!(matches!(
        desk.add_service_request(&r),
        Err(OrientationError::Full)
    ));
}

#[test]
fn a_request_is_found_by_the_activity_it_came_in_until_it_is_withdrawn() {
    let w = World::new();
    let store = QuadStore::temporary().unwrap();
    let desk = OrientationDesk::new(&store);
    let mut r = w.offer(&[], &[]).unwrap();
    r.activity = Some("https://pods.example/ana/activities/1".into());
    desk.add_request(&r).unwrap();
    let found = desk
        .request_by_activity("le-6b", "https://pods.example/ana/activities/1")
        .unwrap();
    assert_eq!(found.map(|f| f.token), Some("t1".to_owned()));
    assert!(
        desk.request_by_activity("le-6b", "https://pods.example/other")
            .unwrap()
            .is_none()
    );
    assert!(
        desk.request_by_activity("phares", "https://pods.example/ana/activities/1")
            .unwrap()
            .is_none()
    );
    desk.withdraw("le-6b", "t1", today(), 2).unwrap();
    assert!(
        desk.request_by_activity("le-6b", "https://pods.example/ana/activities/1")
            .unwrap()
            .is_none()
    );
}
