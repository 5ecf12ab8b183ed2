//! Residents lists as spreadsheets export them, and the life of an invitation.

use kommon_community::invitations::{
    INVITATION_DAYS, InvitationBook, InvitationError, InvitationStatus, MAX_CSV_BYTES,
    read_residents_list,
};
use kommon_rdf::QuadStore;

#[test]
fn a_french_spreadsheet_export_is_read_with_its_broken_rows_reported_by_line() {
    // Semicolons, Windows-1252 accents, a quoted field with a line break, blank rows.
    let mut csv = Vec::new();
    csv.extend_from_slice(b"Nom;Pr\xe9nom;Courriel;Discipline;Site web;T\xe9l\xe9phone\r\n");
    csv.extend_from_slice(
        b"Ferreira;Ana;ana@exemple.fr;C\xe9ramique;www.ana-ceramique.fr;0601\r\n",
    ); // 2
    csv.extend_from_slice(b";;bob@exemple.fr;Vid\xe9o;;\r\n"); // 3: no name
    csv.extend_from_slice(b"Diallo;Moussa;moussa(at)exemple.fr;Son;;\r\n"); // 4: bad email
    csv.extend_from_slice(b";;;;;\r\n"); // 5: blank, skipped
    csv.extend_from_slice(
        b"\"Compagnie\nLueurs\";;contact@lueurs.fr;Th\xe9\xe2tre;https://lueurs.example;\r\n",
    ); // 6-7
    csv.extend_from_slice(b"Ferreira;Ana;ANA@exemple.fr;C\xe9ramique;;\r\n"); // 8: duplicate
    csv.extend_from_slice(b"Nguyen;Linh;linh@exemple.fr;;pas un site;\r\n"); // 9: bad website
    csv.extend_from_slice(b"Martin;Jo;;Peinture;;\r\n"); // 10: no email
    let list = read_residents_list(&csv).unwrap();
    let names: Vec<_> = list.invitees.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Ana Ferreira", "Compagnie Lueurs"]);
    assert_eq!(list.invitees[0].discipline, "Céramique");
    assert_eq!(list.invitees[0].website, "https://www.ana-ceramique.fr/");
    assert_eq!(list.invitees[1].line, 6);
    let problems: Vec<_> = list
        .problems
        .iter()
        .map(|p| (p.line, p.en.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (3, "the name is missing"),
            (4, "invalid email « moussa(at)exemple.fr »"),
            (8, "duplicate: ANA@exemple.fr is already on line 2"),
            (9, "invalid website « pas un site »"),
            (10, "the email is missing"),
        ]
    );
    assert_eq!(list.ignored_columns, ["Téléphone"]);
}

#[test]
fn comma_and_tab_separated_utf8_files_with_a_byte_order_mark_are_read() {
    let csv = "\u{feff}name,email,website\n\"Doe, Jane\",jane@example.org,https://jane.example\n";
    let list = read_residents_list(csv.as_bytes()).unwrap();
    assert_eq!(list.invitees[0].name, "Doe, Jane");
    // A display name or an IP literal is not an address to invite.
    let list = read_residents_list(
        b"name,email\nAna,Ana <ana@example.org>\nBob,bob@[10.0.0.1]\nCem,cem@example.org\n",
    )
    .unwrap();
    assert_eq!(list.invitees.len(), 1);
    assert_eq!(
        list.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
        [2, 3]
    );
    // Old spreadsheet exports end their lines with a lone carriage return.
    let list = read_residents_list(
        b"nom;courriel\rAna;ana@exemple.fr\r;b@exemple.fr\rCem;cem@exemple.fr\r",
    )
    .unwrap();
    assert_eq!(list.invitees.len(), 2);
    assert_eq!(list.problems[0].line, 3);
    let tsv = "Full name\tE-mail\nLinh Nguyen\tlinh@example.org\n";
    let list = read_residents_list(tsv.as_bytes()).unwrap();
    assert_eq!(list.invitees[0].email, "linh@example.org");
}

#[test]
fn files_that_cannot_be_a_residents_list_are_refused_with_the_reason() {
    let e = read_residents_list(b"Nom;Telephone\nAna;0601\n").unwrap_err();
    assert!(
        e.to_string().contains("« courriel »") && e.to_string().contains("« Telephone »"),
        "{e}"
    );
    assert_eq!(e.status(), 400);
    let e = read_residents_list(b"Courriel\nana@exemple.fr\n").unwrap_err();
    assert!(e.to_string().contains("« nom »"), "{e}");
    assert!(matches!(
        read_residents_list(b"  \n\n").unwrap_err(),
        InvitationError::Empty
    ));
    assert!(matches!(
        read_residents_list(b"PK\x03\x04\x00\x00binary").unwrap_err(),
        InvitationError::NotText
    ));
    let big = vec![b'a'; MAX_CSV_BYTES + 1];
    let e = read_residents_list(&big).unwrap_err();
    assert_eq!(e.status(), 413);
    let mut many = String::from("nom;courriel\n");
    for i in 0..5001 {
        many.push_str(&format!("P {i};p{i}@exemple.fr\n"));
    }
    assert!(matches!(
        read_residents_list(many.as_bytes()).unwrap_err(),
        InvitationError::TooManyRows
    ));
    // Control characters and overlong fields are refused row by row.
    let list = read_residents_list(
        format!(
            "nom;courriel\nA\u{7}na;a@exemple.fr\n{};b@exemple.fr\nOk;ok@exemple.fr\n",
            "x".repeat(400)
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(list.invitees.len(), 1);
    assert_eq!(
        list.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
        [2, 3]
    );
}

#[test]
fn an_invitation_is_claimed_with_a_webid_accepted_once_and_erased_when_declined() {
    let store = QuadStore::temporary().unwrap();
    let book = InvitationBook::new(&store);
    let csv = b"nom;courriel\nAna;ana@exemple.fr\nBob;bob@exemple.fr\n";
    let report = book.import("le-6b", csv, 1_000).unwrap();
    assert_eq!(report.invited.len(), 2);
    // A second import of the same people refuses them by line; another place may invite them.
    let again = book.import("le-6b", csv, 2_000).unwrap();
    assert!(again.invited.is_empty());
    assert_eq!(
        again.problems[0].en,
        "ana@exemple.fr already has an invitation from this place"
    );
    assert_eq!(book.import("phares", csv, 2_000).unwrap().invited.len(), 2);
    let ana = &report.invited[0];
    let bob = &report.invited[1];
    assert!(matches!(
        book.claim("le-6b", &ana.token, "pas une adresse", 3_000),
        Err(InvitationError::BadWebId)
    ));
    book.claim("le-6b", &ana.token, "http://pods.example/ana-old", 3_000)
        .unwrap();
    // Naming another pod moves the claim.
    book.claim("le-6b", &ana.token, "http://pods.example/ana", 3_500)
        .unwrap();
    assert!(
        book.claimed_by("le-6b", "http://pods.example/ana-old")
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        book.claim("le-6b", &bob.token, "http://pods.example/ana", 3_600),
        Err(InvitationError::WebIdTaken)
    ));
    let claimed = book
        .claimed_by("le-6b", "http://pods.example/ana")
        .unwrap()
        .unwrap();
    assert_eq!(claimed.token, ana.token);
    assert!(
        book.claimed_by("phares", "http://pods.example/ana")
            .unwrap()
            .is_none()
    );
    // The Join of a pod the invitation no longer names does not accept it.
    assert!(matches!(
        book.accept("le-6b", &ana.token, "http://pods.example/ana-old", 4_000),
        Err(InvitationError::WebIdTaken)
    ));
    let accepted = book
        .accept("le-6b", &ana.token, "http://pods.example/ana", 4_000)
        .unwrap();
    assert!(matches!(
        accepted.status,
        InvitationStatus::Accepted { ref webid, .. } if webid == "http://pods.example/ana"
    ));
    assert!(matches!(
        book.accept("le-6b", &ana.token, "http://pods.example/ana", 4_000),
        Err(InvitationError::AlreadyAccepted)
    ));
    assert!(matches!(
        book.claim("le-6b", &ana.token, "http://pods.example/x", 4_100),
        Err(InvitationError::AlreadyAccepted)
    ));
    // Accepted, Ana is not invited again by a new import of the list.
    assert_eq!(
        book.import("le-6b", b"nom;courriel\nAna;ana@exemple.fr\n", 4_500)
            .unwrap()
            .problems
            .len(),
        1
    );
    // Bob declines: nothing of him is left, and he may be invited again.
    book.erase("le-6b", &bob.token).unwrap();
    assert!(book.get("le-6b", &bob.token).unwrap().is_none());
    assert!(matches!(
        book.erase("le-6b", &bob.token),
        Err(InvitationError::NotFound)
    ));
    assert_eq!(
        book.import("le-6b", b"nom;courriel\nBob;bob@exemple.fr\n", 5_000)
            .unwrap()
            .invited
            .len(),
        1
    );
    // A person who leaves is forgotten, wherever their invitation stood.
    let carla = book
        .import("phares", b"nom;courriel\nCarla;carla@exemple.fr\n", 4_600)
        .unwrap()
        .invited
        .remove(0);
    book.claim("phares", &carla.token, "http://pods.example/carla", 4_700)
        .unwrap();
    assert!(book.forget("phares", "http://pods.example/carla").unwrap());
    assert!(book.get("phares", &carla.token).unwrap().is_none());
    assert!(!book.forget("phares", "http://pods.example/carla").unwrap());
    // Unanswered invitations are erased after INVITATION_DAYS; accepted ones stay.
    let later = 6_000 + INVITATION_DAYS * 86_400_000;
    assert_eq!(
        book.erase_expired(later).unwrap(),
        3,
        "bob's second, and phares' two"
    );
    let left: Vec<_> = book
        .list("le-6b")
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(left, ["Ana"]);
}
