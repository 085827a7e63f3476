//! Danish first names and surnames for synthetic citizens.
//!
//! Common names in Denmark, so that generated people look like the people a case system
//! meets; the combination with a synthetic CPR number is what makes them fictitious.

pub const FEMALE: &[&str] = &[
    "Anne", "Kirsten", "Mette", "Hanne", "Anna", "Helle", "Susanne", "Lene", "Maria", "Marianne", "Lone", "Camilla",
    "Pia", "Louise", "Charlotte", "Tina", "Gitte", "Bente", "Inge", "Karen", "Julie", "Emma", "Ida", "Sofie",
    "Freja", "Clara", "Laura", "Mathilde", "Signe", "Maja", "Astrid", "Ellen", "Birgitte", "Dorthe", "Jette",
];

pub const MALE: &[&str] = &[
    "Peter", "Jens", "Michael", "Lars", "Henrik", "Thomas", "Søren", "Jan", "Niels", "Christian", "Martin", "Morten",
    "Jesper", "Anders", "Rasmus", "Mads", "Frederik", "Mikkel", "Jonas", "Kasper", "Oliver", "William", "Noah",
    "Lucas", "Emil", "Magnus", "Ole", "Poul", "Bent", "Erik", "Torben", "Kim", "Brian", "Carsten", "Steen",
];

pub const SURNAMES: &[&str] = &[
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
    "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen", "Poulsen", "Johansen",
    "Møller", "Mortensen", "Knudsen", "Jakobsen", "Mikkelsen", "Olesen", "Frederiksen", "Laursen", "Henriksen",
    "Lund", "Schmidt", "Eriksen", "Holm", "Kristiansen", "Clausen", "Simonsen", "Svendsen", "Andreasen", "Iversen",
    "Østergaard", "Jeppesen", "Vestergaard", "Nissen", "Lauridsen", "Kjær", "Jepsen", "Mogensen", "Dam", "Bach",
];
