# RFC 5228 4.3
if header :contains ["from"] ["idiot@example.com"] {
    discard;
}
