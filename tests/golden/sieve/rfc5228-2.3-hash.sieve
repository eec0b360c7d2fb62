# RFC 5228 2.3: a hash comment runs to the end of the line.
if size :over 100K { # this is a comment
    discard;
}
