# Writes OUTPUT, a C++ file holding the bytes of every file in FILES (comma-separated names under
# ROOT), for src/admin/admin_page.cpp: the admin page is part of the binary, with no runtime path.
#   cmake -DROOT=dir -DFILES=index.html,app.js -DOUTPUT=out.cpp -P embed_page.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var ROOT FILES OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_page.cmake: -D${var}=... is required")
  endif()
endforeach()

string(REPLACE "," ";" FILES "${FILES}")
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 sixteen)  # CMake's regex has no {n}
set(arrays "")
set(entries "")
set(n 0)
foreach(name IN LISTS FILES)
  file(READ "${ROOT}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  if(size EQUAL 0)
    message(FATAL_ERROR "embed_page.cmake: ${ROOT}/${name} is empty")
  endif()
  # 0xAB, per byte, 16 to a line.
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(${sixteen})" "\\1\n    " bytes "${bytes}")
  string(APPEND arrays "constexpr unsigned char file_${n}[] = {\n    ${bytes}};\n")
  string(APPEND entries
         "    {\"${name}\", {reinterpret_cast<const char*>(file_${n}), ${size}}},\n")
  math(EXPR n "${n} + 1")
endforeach()

set(content "// Generated from src/admin/page/ by src/admin/embed_page.cmake at build time: do not edit.
#include \"admin/admin_page_files.hpp\"

namespace gatehouse::admin {
namespace {
${arrays}
const PageFile files[] = {
${entries}};
}  // namespace

std::span<const PageFile> page_files() {
  return files;
}

}  // namespace gatehouse::admin
")
# Rewrite only on change, so an unchanged page does not recompile.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
