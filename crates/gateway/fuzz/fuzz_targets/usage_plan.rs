//! Usage plan definitions as the admin API receives them (untrusted JSON): parsing and compiling
//! never panic, and a definition that parses compiles to a plan whose stages it names.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(def) = gateway::usage::plan_json::parse(&value) {
        let plan = def.compile("fuzz", std::time::SystemTime::UNIX_EPOCH);
        for stage in &def.api_stages {
            assert!(plan.stage(&stage.api_id, &stage.stage).is_some());
        }
        // What parses renders back to a definition that parses to the same value.
        let again = serde_json::to_value(&def).expect("serializable");
        assert_eq!(gateway::usage::plan_json::parse(&again).expect("round trip"), def);
    }
});
