# Generates a C++ source holding every man/*.1 page as a string.
# Inputs: MAN_DIR, OUT.
file(GLOB pages "${MAN_DIR}/*.1")
list(SORT pages)
set(body "// Generated from man/*.1 by cmd/embed_man.cmake. Do not edit.\n#include <cstring>\n#include <string>\nnamespace aergo::cli {\nstruct ManEntry { const char* name; const char* text; };\nstatic const ManEntry kPages[] = {\n")
foreach(p ${pages})
  get_filename_component(n "${p}" NAME_WE)
  file(READ "${p}" content)
  string(APPEND body "  {\"${n}\", R\"AERGOMAN(${content})AERGOMAN\"},\n")
endforeach()
string(APPEND body "  {nullptr, nullptr}};\nconst char* ManPage(const std::string& name) {\n  for (const ManEntry* e = kPages; e->name; ++e) if (name == e->name) return e->text;\n  return nullptr;\n}\n}  // namespace aergo::cli\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
