# embed_yaml(<out_var> <dir> <file.cpp> [RECURSE] HEADER <include> NAMESPACE <ns>
#            FUNCTION <name> TYPE <element type>)
# Generates <build>/generated/<file.cpp> from the YAML files under the
# absolute <dir> (cmake/EmbedYaml.cmake says how), regenerated when a file
# changes, and sets <out_var> to its path for a target's sources. Used by the
# main build and the fuzz build alike.
set(_embed_yaml_script ${CMAKE_CURRENT_LIST_DIR}/EmbedYaml.cmake)

function(embed_yaml out_var dir out)
  cmake_parse_arguments(ARG "RECURSE" "HEADER;NAMESPACE;FUNCTION;TYPE" "" ${ARGN})
  if(ARG_RECURSE)
    file(GLOB_RECURSE _ymls CONFIGURE_DEPENDS ${dir}/*.yml ${dir}/*.yaml)
  else()
    file(GLOB _ymls CONFIGURE_DEPENDS ${dir}/*.yml)
  endif()
  set(_out ${CMAKE_BINARY_DIR}/generated/${out})
  add_custom_command(
    OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DOUT=${_out} -DHEADER=${ARG_HEADER}
            -DNAMESPACE=${ARG_NAMESPACE} -DFUNCTION=${ARG_FUNCTION} -DTYPE=${ARG_TYPE}
            -DRECURSE=${ARG_RECURSE} -P ${_embed_yaml_script}
    DEPENDS ${_ymls} ${_embed_yaml_script}
    VERBATIM)
  set(${out_var} ${_out} PARENT_SCOPE)
endfunction()
