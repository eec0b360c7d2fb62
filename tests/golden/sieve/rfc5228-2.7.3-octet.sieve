# RFC 5228 2.7.3: "i;octet" compares octets, so case counts.
if header :contains :comparator "i;octet" "Subject"
        "MAKE MONEY FAST" {
        discard;
}
