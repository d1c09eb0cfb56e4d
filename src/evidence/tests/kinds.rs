use super::*;

#[test]
fn every_kind_has_its_name_and_limit() {
    assert_eq!(KINDS.len(), KIND_NAMES.len());
    for (kind, name) in KINDS.iter().zip(KIND_NAMES) {
        assert_eq!(Kind::parse(name), Some(*kind));
        assert_eq!(kind.as_str(), name);
    }
    assert_eq!(Kind::parse("File"), None);
    assert_eq!(Kind::File.limit(), Some(1_048_576));
    assert_eq!(Kind::Summary.limit(), Some(512_000));
    assert_eq!(Kind::Archive.limit(), Some(52_428_800));
    assert_eq!(Kind::Screenshot.limit(), Some(5_242_880));
    for k in [Kind::Log, Kind::QaOutput, Kind::Diff] {
        assert_eq!(k.limit(), Some(10_485_760));
    }
    assert_eq!(Kind::Directory.limit(), None);
    assert_eq!(
        Kind::QaOutput.required_metadata(),
        ["command", "exit_code", "duration_ms"]
    );
}

#[test]
fn sizes_read_for_people_and_hex_is_checked() {
    assert_eq!(human_size(12), "12 B");
    assert_eq!(human_size(512_000), "500.0 KiB");
    assert_eq!(human_size(1_048_576), "1.00 MiB");
    assert!(is_hex("0123456789abcdef", 16));
    assert!(!is_hex("0123456789ABCDEF", 16));
    assert!(!is_hex("0123456789abcde", 16));
    assert!(!is_hex("../../etc/passwd", 16));
}
