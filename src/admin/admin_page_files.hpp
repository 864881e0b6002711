// The files of the admin web page (src/admin/page/), compiled into the binary by
// src/admin/embed_page.cmake; admin_page.cpp serves them.
#pragma once

#include <span>
#include <string_view>

namespace gatehouse::admin {

struct PageFile {
  std::string_view name;   // relative to src/admin/page/, e.g. "app.js"
  std::string_view bytes;  // the file's contents, static
};

std::span<const PageFile> page_files();

}  // namespace gatehouse::admin
