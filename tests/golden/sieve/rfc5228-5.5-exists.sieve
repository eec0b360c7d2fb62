# RFC 5228 5.5
if not exists ["From","Date"] {
    discard;
}
