//! From a fetched or cached document to a [`PeerSnapshot`]: the signature against the
//! country's trust anchors (`saml::metadata`), the choice of the country's entity, its
//! `NodeCountry`, and the [`Peer`] that Response validation uses.
//!
//! It must not read anything but the verified entities, and must not build a [`Peer`] anywhere
//! else than [`response_peer`].

use time::OffsetDateTime;

use super::{PeerSnapshot, PeersError, Source};
use crate::config::CountryConfig;
use crate::saml::metadata::{parse_proxy_metadata_detailed, MetadataError, MetadataOptions, ProxyServiceMetadata};
use crate::saml::response::Peer;
use crate::saml::CountryCode;

/// Verifies `bytes` as `country`'s metadata at `now`.
pub(super) fn verify_document(
    bytes: &[u8],
    country: &CountryConfig,
    now: OffsetDateTime,
    fetched_at: OffsetDateTime,
    source: Source,
) -> Result<PeerSnapshot, PeersError> {
    let settings = &country.settings;
    let clock_skew = clock_skew(settings.clock_skew_secs);
    let opts = MetadataOptions {
        clock_skew,
        insecure_ignore_certificate_validity: settings.insecure_ignore_certificate_validity,
        ..MetadataOptions::default()
    };
    // eIDAS IA 6.3; xmlsec-profile 14: against the country's configured anchors only.
    let parsed = parse_proxy_metadata_detailed(bytes, &country.trust, now, &opts)?;
    let metadata = match select_entity(parsed.entities, &settings.metadata_url, country.code) {
        Ok(m) => m,
        // The configured entity was in the document but refused: say why (its entityID is
        // unverified, so it only chooses which error to report).
        Err(e) => {
            return Err(parsed
                .skipped
                .into_iter()
                .find(|s| s.entity_id.as_deref() == Some(settings.metadata_url.as_str()))
                .map_or(e, |s| PeersError::Metadata(s.error)))
        }
    };
    // eIDAS IA 6.3: never a key from a document whose signature did not verify (unsigned
    // metadata is not enabled here; this holds the line should that ever change).
    if !metadata.signed {
        return Err(PeersError::Metadata(MetadataError::Unsigned));
    }
    // eIDAS MF 1.4 (eidas-spec §6.1, §6.3; CEF 2.9 requires it): the proxy's NodeCountry is the
    // country we configured it for.
    if let Some(published) = metadata.node_country.filter(|c| *c != country.code) {
        return Err(PeersError::CountryMismatch { configured: country.code, published });
    }
    if metadata.trust_anchor_validity.is_some_and(|v| !v.is_valid()) {
        tracing::warn!(
            country = country.code.as_str(),
            setting = "insecure_ignore_certificate_validity",
            "metadata accepted with a trust anchor outside its validity period"
        );
    }
    if metadata.entity_id != settings.metadata_url {
        tracing::warn!(
            country = country.code.as_str(),
            code = "peers.entity_id_differs_from_url",
            "metadata entityID is not the configured metadata URL; the country's only entity is used"
        );
    }
    let peer = response_peer(&metadata, country);
    Ok(PeerSnapshot { code: country.code, metadata, peer, fetched_at, source, clock_skew })
}

/// The configured country's entity among the verified ones.
fn select_entity(
    entities: Vec<ProxyServiceMetadata>,
    metadata_url: &str,
    code: CountryCode,
) -> Result<ProxyServiceMetadata, PeersError> {
    // eIDAS MF 1.4 (eidas-spec §6.1): the entityID is the metadata URL; CEF picks the entity
    // whose entityID is the URL it fetched (eidas-spec §6.3).
    let (by_url, others): (Vec<_>, Vec<_>) = entities.into_iter().partition(|e| e.entity_id == metadata_url);
    let mut by_url = by_url.into_iter();
    match (by_url.next(), by_url.next()) {
        (Some(entity), None) => return Ok(entity),
        (Some(_), Some(_)) => return Err(PeersError::NoMatchingEntity),
        (None, _) => {}
    }
    // Otherwise the one entity of the country, when there is exactly one (a document served at
    // another address than its entityID: a mirror, or a test on loopback).
    let mut of_country = others.into_iter().filter(|e| e.node_country == Some(code));
    match (of_country.next(), of_country.next()) {
        (Some(entity), None) => Ok(entity),
        _ => Err(PeersError::NoMatchingEntity),
    }
}

/// The [`Peer`] of a country: its verified metadata ([`Peer::from_metadata`]) and the policy of
/// its settings.
pub(super) fn response_peer(metadata: &ProxyServiceMetadata, country: &CountryConfig) -> Peer {
    Peer {
        require_signed_assertion: country.settings.require_signed_assertion,
        insecure_ignore_certificate_validity: country.settings.insecure_ignore_certificate_validity,
        allow_sha1_oaep: country.settings.allow_sha1_oaep,
        ..Peer::from_metadata(metadata, country.code)
    }
}

/// `clock_skew_secs` as a duration (the configuration caps it at 600 s; capped again here).
fn clock_skew(secs: u64) -> time::Duration {
    time::Duration::seconds(i64::try_from(secs.min(3600)).unwrap_or(60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::tests::{country, vector, NOW};
    use crate::saml::LevelOfAssurance;

    const URL: &str = "https://eidas.example.es/EidasNode/ServiceMetadata";

    fn verify(file: &str, url: &str, code: &str) -> Result<PeerSnapshot, PeersError> {
        verify_document(&vector(file), &country(code, url), NOW, NOW, Source::Network)
    }

    #[test]
    fn the_entity_whose_entity_id_is_the_metadata_url_is_selected() {
        let s = verify("proxy-metadata.xml", URL, "ES").unwrap();
        assert_eq!(s.metadata.entity_id, URL);
        assert_eq!(s.metadata.levels_of_assurance, [LevelOfAssurance::Substantial, LevelOfAssurance::High]);
        assert_eq!(s.clock_skew(), time::Duration::seconds(60));
    }

    #[test]
    fn the_only_entity_of_the_country_is_selected_when_the_url_differs() {
        let s = verify("proxy-metadata.xml", "https://mirror.example.es/es.xml", "ES").unwrap();
        assert_eq!(s.metadata.entity_id, URL);
        assert_eq!(s.peer.entity_id, URL, "the Issuer to expect is the entityID, not the URL");
    }

    #[test]
    fn metadata_is_refused_when_no_entity_is_the_country_s() {
        let e = verify("proxy-metadata.xml", "https://mirror.example.pt/pt.xml", "PT").unwrap_err();
        assert_eq!(e.code(), "peers.metadata_no_matching_entity");
        assert_eq!(e.reason(), "metadata_invalid");
    }

    #[test]
    fn metadata_is_refused_when_its_node_country_is_not_the_configured_one() {
        let e = verify("proxy-metadata.xml", URL, "PT").unwrap_err();
        assert_eq!(e.code(), "peers.metadata_country_mismatch");
    }

    #[test]
    fn tampered_metadata_is_refused_with_the_signature_code() {
        let e = verify("proxy-metadata-tampered.xml", URL, "ES").unwrap_err();
        assert_eq!(e.code(), "metadata.signature");
        assert_eq!(e.reason(), "metadata_invalid");
    }

    #[test]
    fn expired_metadata_is_refused_as_expired() {
        let e = verify("proxy-metadata-expired.xml", URL, "ES").unwrap_err();
        assert_eq!(e.code(), "metadata.expired");
        assert_eq!(e.reason(), "metadata_expired");
    }

    #[test]
    fn two_entities_of_the_country_are_ambiguous() {
        let one = verify("proxy-metadata.xml", URL, "ES").unwrap().metadata;
        let mut two = one.clone();
        two.entity_id = "https://other.example.es/md".into();
        let e = select_entity(vec![one, two], "https://mirror.example.es/md", CountryCode::parse("ES").unwrap());
        assert_eq!(e.unwrap_err().code(), "peers.metadata_no_matching_entity");
    }

    #[test]
    fn the_response_peer_takes_keys_from_metadata_and_policy_from_the_country() {
        let mut es = country("ES", URL);
        es.settings.require_signed_assertion = true;
        es.settings.insecure_ignore_certificate_validity = true;
        let s = verify_document(&vector("proxy-metadata.xml"), &es, NOW, NOW, Source::Network).unwrap();
        let p = &s.peer;
        assert_eq!(p.entity_id, URL);
        assert_eq!(p.country.as_str(), "ES");
        assert_eq!(p.node_country.map(|c| c.to_string()).as_deref(), Some("ES"));
        assert_eq!(p.signing_certs.len(), 1);
        assert_eq!(p.levels_of_assurance, s.metadata.levels_of_assurance);
        assert_eq!(p.highest_protocol_version.as_deref(), Some("1.2"));
        assert!(p.require_signed_assertion);
        assert!(p.insecure_ignore_certificate_validity);
        es.settings.allow_sha1_oaep = false;
        let s = verify_document(&vector("proxy-metadata.xml"), &es, NOW, NOW, Source::Network).unwrap();
        assert!(!s.peer.allow_sha1_oaep);
    }

    #[test]
    fn a_peer_from_metadata_alone_has_the_policy_of_a_country_written_with_its_defaults() {
        // `bench --batch` validates as `serve` would for a country written with only its code,
        // metadata URL and trust anchors.
        let text = format!("code = \"ES\"\nmetadata_url = \"{URL}\"\ntrust = [\"anchor.pem\"]");
        let written: crate::config::CountrySettings = ::config::Config::builder()
            .add_source(::config::File::from_str(&text, ::config::FileFormat::Toml))
            .build()
            .and_then(::config::Config::try_deserialize)
            .unwrap();
        let es = CountryConfig { settings: written, ..country("ES", URL) };
        let s = verify_document(&vector("proxy-metadata.xml"), &es, NOW, NOW, Source::Network).unwrap();
        let alone = Peer::from_metadata(&s.metadata, es.code);
        assert_eq!(
            (alone.require_signed_assertion, alone.insecure_ignore_certificate_validity, alone.allow_sha1_oaep),
            (s.peer.require_signed_assertion, s.peer.insecure_ignore_certificate_validity, s.peer.allow_sha1_oaep)
        );
        assert_eq!(
            (alone.entity_id, alone.signing_certs.len()),
            (s.peer.entity_id.clone(), s.peer.signing_certs.len())
        );
    }
}
