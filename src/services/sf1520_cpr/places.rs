//! Where SF1520's synthetic citizens live: one real postcode and post town per municipality
//! (its main town) and a list of common Danish road names. The world knows only the
//! municipality; everything finer is chosen from these tables.

/// A real postcode and its post town (postdistrikt) in a municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub kommunekode: &'static str,
    pub postnummer: &'static str,
    pub postdistrikt: &'static str,
}

const fn place(kommunekode: &'static str, postnummer: &'static str, postdistrikt: &'static str) -> Place {
    Place {
        kommunekode,
        postnummer,
        postdistrikt,
    }
}

/// The main town of each of the 98 municipalities.
pub const PLACES: [Place; 98] = [
    place("0101", "1550", "København V"),
    place("0147", "2000", "Frederiksberg"),
    place("0151", "2750", "Ballerup"),
    place("0153", "2605", "Brøndby"),
    place("0155", "2791", "Dragør"),
    place("0157", "2820", "Gentofte"),
    place("0159", "2860", "Søborg"),
    place("0161", "2600", "Glostrup"),
    place("0163", "2730", "Herlev"),
    place("0165", "2620", "Albertslund"),
    place("0167", "2650", "Hvidovre"),
    place("0169", "2630", "Taastrup"),
    place("0173", "2800", "Kongens Lyngby"),
    place("0175", "2610", "Rødovre"),
    place("0183", "2635", "Ishøj"),
    place("0185", "2770", "Kastrup"),
    place("0187", "2625", "Vallensbæk"),
    place("0190", "3520", "Farum"),
    place("0201", "3450", "Allerød"),
    place("0210", "3480", "Fredensborg"),
    place("0217", "3000", "Helsingør"),
    place("0219", "3400", "Hillerød"),
    place("0223", "2970", "Hørsholm"),
    place("0230", "2840", "Holte"),
    place("0240", "3660", "Stenløse"),
    place("0250", "3600", "Frederikssund"),
    place("0253", "2670", "Greve"),
    place("0259", "4600", "Køge"),
    place("0260", "3300", "Frederiksværk"),
    place("0265", "4000", "Roskilde"),
    place("0269", "2680", "Solrød Strand"),
    place("0270", "3200", "Helsinge"),
    place("0306", "4500", "Nykøbing Sj"),
    place("0316", "4300", "Holbæk"),
    place("0320", "4640", "Faxe"),
    place("0326", "4400", "Kalundborg"),
    place("0329", "4100", "Ringsted"),
    place("0330", "4200", "Slagelse"),
    place("0336", "4660", "Store Heddinge"),
    place("0340", "4180", "Sorø"),
    place("0350", "4320", "Lejre"),
    place("0360", "4930", "Maribo"),
    place("0370", "4700", "Næstved"),
    place("0376", "4800", "Nykøbing F"),
    place("0390", "4760", "Vordingborg"),
    place("0400", "3700", "Rønne"),
    place("0410", "5500", "Middelfart"),
    place("0420", "5610", "Assens"),
    place("0430", "5600", "Faaborg"),
    place("0440", "5300", "Kerteminde"),
    place("0450", "5800", "Nyborg"),
    place("0461", "5000", "Odense C"),
    place("0479", "5700", "Svendborg"),
    place("0480", "5400", "Bogense"),
    place("0482", "5900", "Rudkøbing"),
    place("0492", "5970", "Ærøskøbing"),
    place("0510", "6100", "Haderslev"),
    place("0530", "7190", "Billund"),
    place("0540", "6400", "Sønderborg"),
    place("0550", "6270", "Tønder"),
    place("0561", "6700", "Esbjerg"),
    place("0563", "6720", "Fanø"),
    place("0573", "6800", "Varde"),
    place("0575", "6600", "Vejen"),
    place("0580", "6200", "Aabenraa"),
    place("0607", "7000", "Fredericia"),
    place("0615", "8700", "Horsens"),
    place("0621", "6000", "Kolding"),
    place("0630", "7100", "Vejle"),
    place("0657", "7400", "Herning"),
    place("0661", "7500", "Holstebro"),
    place("0665", "7620", "Lemvig"),
    place("0671", "7600", "Struer"),
    place("0706", "8400", "Ebeltoft"),
    place("0707", "8500", "Grenaa"),
    place("0710", "8450", "Hammel"),
    place("0727", "8300", "Odder"),
    place("0730", "8900", "Randers C"),
    place("0740", "8600", "Silkeborg"),
    place("0741", "8305", "Samsø"),
    place("0746", "8660", "Skanderborg"),
    place("0751", "8000", "Aarhus C"),
    place("0756", "7430", "Ikast"),
    place("0760", "6950", "Ringkøbing"),
    place("0766", "8722", "Hedensted"),
    place("0773", "7900", "Nykøbing M"),
    place("0779", "7800", "Skive"),
    place("0787", "7700", "Thisted"),
    place("0791", "8800", "Viborg"),
    place("0810", "9700", "Brønderslev"),
    place("0813", "9900", "Frederikshavn"),
    place("0820", "9600", "Aars"),
    place("0825", "9940", "Læsø"),
    place("0840", "9520", "Skørping"),
    place("0846", "9500", "Hobro"),
    place("0849", "9440", "Aabybro"),
    place("0851", "9000", "Aalborg"),
    place("0860", "9800", "Hjørring"),
];

/// The place of a municipality by its four-digit code.
pub fn place_of(kommunekode: &str) -> Option<&'static Place> {
    PLACES.iter().find(|p| p.kommunekode == kommunekode)
}

/// Common Danish road names; a road's vejkode is derived from its index here.
pub const ROADS: [&str; 30] = [
    "Hovedgaden",
    "Skolevej",
    "Kirkevej",
    "Stationsvej",
    "Møllevej",
    "Vestergade",
    "Østergade",
    "Nørregade",
    "Søndergade",
    "Engvej",
    "Birkevej",
    "Egevej",
    "Bøgevej",
    "Skovvej",
    "Parkvej",
    "Ahornvej",
    "Lindevej",
    "Rosenvej",
    "Violvej",
    "Byvej",
    "Fælledvej",
    "Søvej",
    "Kastanievej",
    "Strandvejen",
    "Markvej",
    "Granvej",
    "Havevej",
    "Solvej",
    "Elmevej",
    "Tværvej",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_municipality_of_the_world_has_a_place() {
        let kommuner = crate::world::kommuner();
        assert_eq!(kommuner.len(), PLACES.len());
        for k in kommuner {
            let p = place_of(k.kommunekode).unwrap_or_else(|| panic!("no place for {}", k.kommunekode));
            assert_eq!(p.postnummer.len(), 4);
        }
    }
}
