use super::*;

#[test]
fn type_ids_round_trip_and_unknown_ids_are_none() {
    for &ty in Type::ALL {
        assert_eq!(Type::from_id(ty.id()), Some(ty));
    }
    assert_eq!(Type::from_id(4), None);
    assert_eq!(Type::from_id(1000), None);
}

#[test]
fn block_geometry_matches_ggml() {
    let geometry = |ty: Type| (ty.block_size(), ty.block_bytes());
    assert_eq!(geometry(Type::Q8_0), (32, 34));
    assert_eq!(geometry(Type::Q4_0), (32, 18));
    assert_eq!(geometry(Type::Q4_K), (256, 144));
    assert_eq!(geometry(Type::Q5_K), (256, 176));
    assert_eq!(geometry(Type::Q6_K), (256, 210));
}

#[test]
fn n_bytes_refuses_partial_blocks_and_overflow() {
    assert_eq!(Type::Q4_0.n_bytes(64), Some(36));
    assert_eq!(Type::Q4_0.n_bytes(33), None);
    assert_eq!(Type::F64.n_bytes(u64::MAX), None);
}

#[test]
fn q4_0_low_nibbles_are_the_first_half_of_the_block() {
    let mut block = [0u8; 18];
    block[..2].copy_from_slice(&half::f16::from_f32(0.5).to_le_bytes());
    block[2] = 0xF0; // element 0: 0 - 8, element 16: 15 - 8
    let mut out = [0.0; 32];
    dequantize(Type::Q4_0, &block, &mut out).unwrap();
    assert_eq!((out[0], out[16], out[1]), (-4.0, 3.5, -4.0));
}

#[test]
fn dequantize_refuses_a_length_that_does_not_match() {
    let mut out = [0.0; 32];
    assert_eq!(
        dequantize(Type::Q8_0, &[0; 33], &mut out),
        Err(Error::WrongLength { ty: Type::Q8_0, elements: 32, expected: 34, found: 33 })
    );
    assert_eq!(
        dequantize(Type::Q8_0, &[0; 34], &mut out[..31]),
        Err(Error::NotWholeBlocks { ty: Type::Q8_0, elements: 31 })
    );
}

#[test]
fn unimplemented_types_are_unsupported_not_garbage() {
    assert_eq!(dequantize(Type::TQ1_0, &[0; 54], &mut [0.0; 256]), Err(Error::Unsupported(Type::TQ1_0)));
    assert_eq!(quantize(Type::Q4_K, &[0.0; 256], &mut [0; 144]), Err(Error::Unsupported(Type::Q4_K)));
}

#[test]
fn quantize_then_dequantize_q8_0_is_within_half_a_step() {
    let values: Vec<f32> = (0..64).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
    let mut block = [0u8; 68];
    quantize(Type::Q8_0, &values, &mut block).unwrap();
    let mut out = [0.0; 64];
    dequantize(Type::Q8_0, &block, &mut out).unwrap();
    for (x, y) in values.iter().zip(out) {
        assert!((x - y).abs() <= 3.0 / 127.0 / 2.0 + 1e-3, "{x} vs {y}");
    }
}

#[test]
fn an_all_zero_block_quantizes_to_zero_scale_and_zeros() {
    let mut q8 = [0xAAu8; 34];
    quantize(Type::Q8_0, &[0.0; 32], &mut q8).unwrap();
    assert_eq!(q8, [0; 34]);
    let mut q4 = [0u8; 18];
    quantize(Type::Q4_0, &[0.0; 32], &mut q4).unwrap();
    assert_eq!(q4[..2], [0, 0x80]); // ggml's d = max / -8 is -0.0 here
    assert!(q4[2..].iter().all(|&b| b == 0x88)); // nibble 8 is zero
}

#[test]
fn random_weights_of_every_engine_type_dequantize_to_finite_values_of_moderate_size() {
    let mut rng = crate::random::SplitMix64::new(5);
    for &ty in crate::gpu::SUPPORTED_TYPES {
        let n = 512;
        let bytes = random_weights(ty, n, &mut rng).unwrap();
        let mut values = vec![0.0; n];
        dequantize(ty, &bytes, &mut values).unwrap();
        let largest = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(values.iter().all(|v| v.is_finite()), "{ty}");
        assert!((0.01..=20.0).contains(&largest), "{ty}: largest |value| {largest}");
    }
}

#[test]
fn random_weights_refuse_partial_blocks_and_types_without_scales_to_set() {
    let mut rng = crate::random::SplitMix64::new(6);
    assert_eq!(random_weights(Type::Q4_K, 100, &mut rng), Err(Error::NotWholeBlocks { ty: Type::Q4_K, elements: 100 }));
    assert_eq!(random_weights(Type::TQ1_0, 256, &mut rng), Err(Error::Unsupported(Type::TQ1_0)));
}
