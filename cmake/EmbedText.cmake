# cmake -DINPUT=FILE -DOUTPUT=FILE.cpp -DSYMBOL=NAME -P EmbedText.cmake:
# FILE's text as `extern const char *const lathe::NAME`.
file(READ "${INPUT}" text)
string(FIND "${text}" ")lathe_embedded\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string's delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/EmbedText.cmake.\n"
  "namespace lathe {\nextern const char *const ${SYMBOL};\n"
  "const char *const ${SYMBOL} = R\"lathe_embedded(${text})lathe_embedded\";\n}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
