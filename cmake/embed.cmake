# SPDX-License-Identifier: MIT
# Turns the file IN into a C source OUT defining `const char NAME[]`.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\n"
	"#include <stddef.h>\nconst char ${NAME}[] = {${body} 0x00};\n"
	"const size_t ${NAME}_len = sizeof(${NAME}) - 1;\n")
