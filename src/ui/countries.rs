//! The member states' names in French and English and their flags (eIDAS codes: `EL` for
//! Greece, whose flag file is ISO's `gr`), and the test countries `XA`..`XZ` of the mock proxy
//! services, which share a neutral test flag.

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

/// The flag of `code`, as a file under `assets/` (see [`super::assets`]): the member states'
/// from flag-icons, the test flag for `XA`..`XZ`, none for a code we do not know.
pub fn flag_file(code: CountryCode) -> Option<String> {
    let code = code.as_str();
    if code.starts_with('X') {
        return Some("flags/xx.svg".into());
    }
    // eIDAS (and the EU's style guide) say EL for Greece; ISO 3166 and flag-icons say GR.
    let iso = if code == "EL" { "gr" } else { code };
    NAMES.iter().any(|(c, _, _)| *c == code).then(|| format!("flags/{}.svg", iso.to_ascii_lowercase()))
}

/// What the country page's filter matches for `code`: its names in both languages and its code,
/// in lower case (a citizen may type "Germany" on the French page).
pub fn search_terms(code: CountryCode) -> String {
    format!("{} {} {}", country_name(code, "fr"), country_name(code, "en"), code.as_str()).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_state_has_a_flag_greece_is_gr_and_test_countries_share_one() {
        let c = |s| CountryCode::parse(s).unwrap();
        for (code, _, _) in NAMES {
            let file = flag_file(c(code)).unwrap();
            assert!(crate::ui::assets::is_served(&file), "{code}: {file} is not served");
        }
        assert_eq!(flag_file(c("EL")).as_deref(), Some("flags/gr.svg"));
        assert_eq!(flag_file(c("DE")).as_deref(), Some("flags/de.svg"));
        assert_eq!(flag_file(c("XA")).as_deref(), Some("flags/xx.svg"));
        assert_eq!(flag_file(c("XZ")).as_deref(), Some("flags/xx.svg"));
        assert!(crate::ui::assets::is_served("flags/xx.svg"));
        assert_eq!(flag_file(c("QQ")), None);
        assert_eq!(search_terms(c("DE")), "allemagne germany de");
    }

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
