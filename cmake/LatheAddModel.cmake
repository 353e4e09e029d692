# lathe_add_model(TARGET MODEL
#                 [INPUT_SHAPES NAME=D0,D1,... ...]
#                 [TARGET_DEVICE cpu] [CPU cpu-name] [NAME c_name]
#                 [WEIGHTS linked|file] [OPTIONS lathe-compile-options...])
#
# Compiles MODEL at build time (lathe compile --emit-c-library) into a
# static library target TARGET: link it and include <NAME.h> (NAME defaults
# to TARGET) for NAME_create/NAME_run/NAME_release. With WEIGHTS file, the
# weights go to the file named by the target's LATHE_WEIGHTS_FILE property
# (NAME_create_from_file maps it). CPU defaults to lathe's default, this
# machine's CPU; name the device's (x86-64-v3, cortex-a78, ...) to build for
# another.
function(lathe_add_model target model)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "TARGET_DEVICE;CPU;NAME;WEIGHTS"
                        "INPUT_SHAPES;OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "lathe_add_model(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET_DEVICE)
    set(ARG_TARGET_DEVICE cpu)
  endif()
  if(NOT ARG_TARGET_DEVICE STREQUAL "cpu")
    message(FATAL_ERROR "lathe_add_model(${target}): TARGET_DEVICE ${ARG_TARGET_DEVICE}: "
                        "a C library runs on the cpu (load hexagon and ane artifacts with lathe::runtime)")
  endif()
  if(NOT ARG_NAME)
    string(MAKE_C_IDENTIFIER "${target}" ARG_NAME)
  endif()
  if(NOT ARG_WEIGHTS)
    set(ARG_WEIGHTS linked)
  endif()
  get_filename_component(model_path "${model}" ABSOLUTE)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/lathe_models/${target}")
  # The header's folder must exist for the imported target.
  file(MAKE_DIRECTORY "${dir}")
  set(arguments compile "${model_path}" --target cpu --emit-c-library "${dir}"
                --c-library-name "${ARG_NAME}" --c-library-weights "${ARG_WEIGHTS}")
  foreach(shape IN LISTS ARG_INPUT_SHAPES)
    list(APPEND arguments --input-shape "${shape}")
  endforeach()
  if(ARG_CPU)
    list(APPEND arguments --cpu "${ARG_CPU}")
  endif()
  list(APPEND arguments ${ARG_OPTIONS})
  set(outputs "${dir}/lib${ARG_NAME}.a" "${dir}/${ARG_NAME}.h")
  if(ARG_WEIGHTS STREQUAL "file")
    list(APPEND outputs "${dir}/${ARG_NAME}.weights")
  endif()
  add_custom_command(OUTPUT ${outputs}
    COMMAND lathe::lathe ${arguments}
    DEPENDS "${model_path}" lathe::lathe
    COMMENT "lathe: compiling ${model} into lib${ARG_NAME}.a"
    VERBATIM)
  add_custom_target(${target}_lathe_compile DEPENDS ${outputs})
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${dir}/lib${ARG_NAME}.a"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}"
    INTERFACE_LINK_LIBRARIES m
    LATHE_WEIGHTS_FILE "${dir}/${ARG_NAME}.weights")
  add_dependencies(${target} ${target}_lathe_compile)
endfunction()
