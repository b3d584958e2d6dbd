# Shared CMake helpers.

# kefu_embed(TARGET NAME FILES...): links into TARGET the bytes of each file (paths relative to
# the source root) and a generated lookup
#   std::string_view kefu::embedded::NAME(std::string_view relative_path)  // empty if absent
# declared in "embedded/NAME.h". Data ships inside the binary, so `kefu` runs from any directory.
function(kefu_embed target name)
  set(files ${ARGN})
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/embedded)
  file(MAKE_DIRECTORY ${gen}/embedded)
  set(asm "")
  set(decl "")
  set(table "")
  set(i 0)
  foreach(f ${files})
    set(abs ${PROJECT_SOURCE_DIR}/${f})
    string(APPEND asm "  .section .rodata\n  .global kefu_emb_${name}_${i}\n  .balign 16\nkefu_emb_${name}_${i}:\n  .incbin \"${abs}\"\n  .global kefu_emb_${name}_${i}_end\nkefu_emb_${name}_${i}_end:\n  .byte 0\n")
    string(APPEND decl "extern \"C\" const char kefu_emb_${name}_${i}[];\nextern \"C\" const char kefu_emb_${name}_${i}_end[];\n")
    string(APPEND table "  {\"${f}\", std::string_view(kefu_emb_${name}_${i}, size_t(kefu_emb_${name}_${i}_end - kefu_emb_${name}_${i}))},\n")
    math(EXPR i "${i}+1")
  endforeach()
  string(APPEND asm "  .section .note.GNU-stack,\"\",@progbits\n")
  file(WRITE ${gen}/${name}_data.S.in "${asm}")
  configure_file(${gen}/${name}_data.S.in ${gen}/${name}_data.S COPYONLY)
  file(WRITE ${gen}/embedded/${name}.h.in
    "#pragma once\n#include <string_view>\nnamespace kefu::embedded {\n// The embedded file's bytes; empty when the path was not embedded.\nstd::string_view ${name}(std::string_view relative_path);\n}\n")
  configure_file(${gen}/embedded/${name}.h.in ${gen}/embedded/${name}.h COPYONLY)
  file(WRITE ${gen}/${name}_index.cc.in
    "#include \"embedded/${name}.h\"\n#include <utility>\n${decl}namespace kefu::embedded {\nstd::string_view ${name}(std::string_view p) {\n  static const std::pair<std::string_view, std::string_view> kFiles[] = {\n${table}  };\n  for (const auto& [k, v] : kFiles) if (k == p) return v;\n  return {};\n}\n}\n")
  configure_file(${gen}/${name}_index.cc.in ${gen}/${name}_index.cc COPYONLY)
  set_source_files_properties(${gen}/${name}_data.S PROPERTIES OBJECT_DEPENDS "${files}")
  set(absfiles "")
  foreach(f ${files})
    list(APPEND absfiles ${PROJECT_SOURCE_DIR}/${f})
  endforeach()
  set_source_files_properties(${gen}/${name}_data.S PROPERTIES OBJECT_DEPENDS "${absfiles}")
  target_sources(${target} PRIVATE ${gen}/${name}_data.S ${gen}/${name}_index.cc)
  target_include_directories(${target} PUBLIC ${gen})
endfunction()

# kefu_test(NAME SOURCES... LIBS ...): a GoogleTest executable registered with CTest.
function(kefu_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60)
endfunction()
