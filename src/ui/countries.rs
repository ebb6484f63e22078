//! The member states' names in French and English (eIDAS codes: `EL` for Greece), and the
//! test countries `XA`..`XZ` of the mock proxy services.

use crate::saml::CountryCode;

/// code, French name, English name.
const NAMES: [(&str, &str, &str); 30] = [
    ("AT", "Autriche", "Austria"),
    ("BE", "Belgique", "Belgium"),
    ("BG", "Bulgarie", "Bulgaria"),
    ("CY", "Chypre", "Cyprus"),
    ("CZ", "Tchéquie", "Czechia"),
    ("DE", "Allemagne", "Germany"),
    ("DK", "Danemark", "Denmark"),
    ("EE", "Estonie", "Estonia"),
    ("EL", "Grèce", "Greece"),
    ("ES", "Espagne", "Spain"),
    ("FI", "Finlande", "Finland"),
    ("FR", "France", "France"),
    ("HR", "Croatie", "Croatia"),
    ("HU", "Hongrie", "Hungary"),
    ("IE", "Irlande", "Ireland"),
    ("IS", "Islande", "Iceland"),
    ("IT", "Italie", "Italy"),
    ("LI", "Liechtenstein", "Liechtenstein"),
    ("LT", "Lituanie", "Lithuania"),
    ("LU", "Luxembourg", "Luxembourg"),
    ("LV", "Lettonie", "Latvia"),
    ("MT", "Malte", "Malta"),
    ("NL", "Pays-Bas", "Netherlands"),
    ("NO", "Norvège", "Norway"),
    ("PL", "Pologne", "Poland"),
    ("PT", "Portugal", "Portugal"),
    ("RO", "Roumanie", "Romania"),
    ("SE", "Suède", "Sweden"),
    ("SI", "Slovénie", "Slovenia"),
    ("SK", "Slovaquie", "Slovakia"),
];

/// The name of `code` in `lang` (`fr`, else English); a test country is "Pays de test A" /
/// "Test country A"; an unknown code is shown as is.
pub fn country_name(code: CountryCode, lang: &str) -> String {
    let french = lang.starts_with("fr");
    if let Some((_, fr, en)) = NAMES.iter().find(|(c, _, _)| *c == code.as_str()) {
        return if french { (*fr).to_owned() } else { (*en).to_owned() };
    }
    match code.as_str().strip_prefix('X') {
        Some(letter) if french => format!("Pays de test {letter}"),
        Some(letter) => format!("Test country {letter}"),
        None => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_localized_and_test_countries_are_labelled() {
        let c = |s| CountryCode::parse(s).unwrap();
        assert_eq!(country_name(c("EL"), "fr"), "Grèce");
        assert_eq!(country_name(c("EL"), "en"), "Greece");
        assert_eq!(country_name(c("XA"), "fr"), "Pays de test A");
        assert_eq!(country_name(c("XB"), "en"), "Test country B");
        assert_eq!(country_name(c("QQ"), "en"), "QQ");
    }
}
