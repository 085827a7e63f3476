//! Shared helpers: where the public contracts are, and which WSDLs each folder has.

use std::path::PathBuf;

pub fn contracts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts")
}

/// (folder, WSDL paths) of every contract.
pub fn wsdl_sets() -> Vec<(&'static str, Vec<String>)> {
    let sf1500: Vec<String> = std::fs::read_dir(contracts().join("sf1500-organisation-v6/wsdl"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wsdl"))
        .map(|n| format!("wsdl/{n}"))
        .collect();
    vec![
        (
            "sf1470-sagdokumentindeks-v6",
            vec!["wsdl/SagDokumentIndeksService_6.wsdl".into()],
        ),
        (
            "sf1490-ydelsesindeks-v6",
            vec![
                "wsdl/YdelseIndeks.wsdl".into(),
                "wsdl/BevillingIndeks.wsdl".into(),
                "wsdl/OekonomiskEffektueringIndeks.wsdl".into(),
            ],
        ),
        ("sf1500-organisation-v6", sf1500),
        ("sf1510-klasse-v7", vec!["wsdl/KlasseService.wsdl".into()]),
        (
            "sf1520-personbasedataextended-v4",
            vec![
                "wsdl/context/PersonBaseDataExtendedService.wsdl".into(),
                "wsdl/token/PersonBaseDataExtendedService.wsdl".into(),
            ],
        ),
        (
            "sf2900-fordelingskomponent",
            vec![
                "resources/sf2900/wsdl/context/DistributionService.wsdl".into(),
                "resources/sf2900/wsdl/token/DistributionService.wsdl".into(),
                "resources/sf2900/SF2900_EP_MS1-2/DistributionServiceAnvenderV2.wsdl".into(),
                "resources/sf2900/SF2900_EP_MS1-2/DistributionServiceModtagerV2.wsdl".into(),
            ],
        ),
        (
            "sf1600-print-fjernprint",
            vec![
                "resources/sf1600/wsdl/context/PrintService.wsdl".into(),
                "resources/sf1600/wsdl/token/PrintService.wsdl".into(),
            ],
        ),
        ("sf1514-sts", vec!["sts.wsdl".into()]),
    ]
}
