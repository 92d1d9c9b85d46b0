# The ctest `layering`: every #include in a part's public headers, sources and tests names only
# that part, the parts the table in VmnmobLayering.cmake allows it, or outside libraries; only
# parts marked `asio` include Boost.Asio; every folder of the library is a part in the table.
# Run: cmake -DVMNMOB_SOURCE_DIR=<repository> -P cmake/VmnmobCheckLayering.cmake
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/VmnmobLayering.cmake)
if(NOT VMNMOB_SOURCE_DIR)
  message(FATAL_ERROR "set -DVMNMOB_SOURCE_DIR=<repository>")
endif()
set(root ${VMNMOB_SOURCE_DIR})
set(errors "")

file(GLOB folders LIST_DIRECTORIES true ${root}/libvmnmob/include/vmnmob/* ${root}/libvmnmob/src/*)
foreach(folder IN LISTS folders)
  get_filename_component(name ${folder} NAME)
  if(IS_DIRECTORY ${folder} AND NOT name IN_LIST VMNMOB_PARTS)
    file(RELATIVE_PATH rel ${root} ${folder})
    list(APPEND errors "${rel}: not a part in the table of cmake/VmnmobLayering.cmake")
  endif()
endforeach()

set(checked 0)
foreach(part IN LISTS VMNMOB_PARTS)
  vmnmob_layering_allowed(${part} allowed)
  file(GLOB_RECURSE files
    ${root}/libvmnmob/include/vmnmob/${part}/*.hpp
    ${root}/libvmnmob/src/${part}/*.hpp ${root}/libvmnmob/src/${part}/*.cpp
    ${root}/tests/${part}/*.hpp ${root}/tests/${part}/*.cpp)
  foreach(file IN LISTS files)
    math(EXPR checked "${checked} + 1")
    file(RELATIVE_PATH rel ${root} ${file})
    file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS includes)
      # "vmnmob/<part>/x.hpp" (public) or "<part>/x.hpp" (the library's src/ or tests/).
      if(line MATCHES "[<\"](vmnmob/)?([A-Za-z0-9_]+)/")
        set(used ${CMAKE_MATCH_2})
        if(used IN_LIST VMNMOB_PARTS AND NOT used STREQUAL part AND NOT used IN_LIST allowed)
          list(APPEND errors "${rel}: ${part} may not use ${used}: ${line}")
        endif()
      endif()
      if(line MATCHES "[<\"]boost/asio" AND NOT VMNMOB_ASIO_${part})
        list(APPEND errors "${rel}: ${part} may not use Boost.Asio: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(errors)
  list(JOIN errors "\n" text)
  message(FATAL_ERROR "layering violations:\n${text}")
endif()
list(JOIN VMNMOB_PARTS ", " parts)
message(STATUS "layering: ${checked} files of ${parts} agree with cmake/VmnmobLayering.cmake")
