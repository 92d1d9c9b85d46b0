# The layering of libvmnmob, one line per part: "part: the parts it may use [asio]".
# A part may also use what those parts use. `asio` marks the parts that may include
# Boost.Asio; every other part stays free of I/O. A part listed here whose folder does not
# exist yet is ignored, so the table may run ahead of the code.
#
# Two checks read this table: vmnmob_add_part() (libvmnmob/CMakeLists.txt) refuses a link
# dependency on a part the table does not allow, and the ctest `layering`
# (cmake/VmnmobCheckLayering.cmake) refuses such an #include in libvmnmob/include/vmnmob/<part>,
# libvmnmob/src/<part> and tests/<part>.
set(VMNMOB_LAYERING
  "base:"
  "ofp: base"
  "packet: base"
  "connection: ofp asio"
  "mobility: ofp packet"
  "delivery: ofp mobility"
  "controller: connection mobility delivery asio"
  "state: base"
  "northbound: controller connection mobility asio"
)

set(VMNMOB_PARTS "")
foreach(line IN LISTS VMNMOB_LAYERING)
  string(REGEX REPLACE ":.*" "" part "${line}")
  string(REGEX REPLACE "^[^:]*:" "" uses "${line}")
  separate_arguments(uses UNIX_COMMAND "${uses}")
  set(VMNMOB_ASIO_${part} FALSE)
  if("asio" IN_LIST uses)
    set(VMNMOB_ASIO_${part} TRUE)
    list(REMOVE_ITEM uses asio)
  endif()
  set(VMNMOB_USES_${part} ${uses})
  list(APPEND VMNMOB_PARTS ${part})
endforeach()

# The parts `part` may use, directly or through another part.
function(vmnmob_layering_allowed part out)
  set(allowed "")
  set(todo ${VMNMOB_USES_${part}})
  while(todo)
    list(POP_FRONT todo next)
    if(NOT next IN_LIST allowed)
      list(APPEND allowed ${next})
      list(APPEND todo ${VMNMOB_USES_${next}})
    endif()
  endwhile()
  set(${out} ${allowed} PARENT_SCOPE)
endfunction()
