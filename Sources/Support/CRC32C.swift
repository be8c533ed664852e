// CRC32C.swift — the CRC-32C checksum (Castagnoli polynomial, reflected 0x82F63B78; RFC 3720
// §B.4), table-driven, and TFRecord's masked form (issue 17 item 3: TensorBoard event files).

/// CRC-32C (Castagnoli) of byte sequences.
public enum CRC32C {
    /// The 256-entry table of the reflected polynomial 0x82F63B78.
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    /// The CRC-32C of `bytes` (initial value and final xor 0xFFFFFFFF, as RFC 3720 specifies).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked CRC-32C of `bytes`: the checksum rotated right by 15 bits plus 0xA282EAD8.
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
