keep;
"unterminated
