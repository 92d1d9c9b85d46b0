#!/bin/bash
# How the golden frames in golden_frames.hpp were produced (kept for provenance; not run by
# ctest). Two network namespaces joined by a veth pair with tx checksum offload off, so the
# kernel writes real checksums; tcpdump captures on the far end. Verify afterwards with
#   tshark -r /tmp/pktgold.pcap -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
#          -o udp.check_checksum:TRUE -V
# and dump a frame with `tshark -r /tmp/pktgold.pcap -Y frame.number==N -x`.
# Captured on Linux 6.18 (Debian 12 userland); every checksum was reported "correct".
set -e
NS1=pktgold1; NS2=pktgold2
cleanup(){ ip netns del $NS1 2>/dev/null || true; ip netns del $NS2 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $NS1; ip netns add $NS2
ip link add pg1 netns $NS1 type veth peer name pg2 netns $NS2
ip -n $NS1 link set pg1 address 52:54:00:12:34:56
ip -n $NS2 link set pg2 address 52:54:00:ab:cd:ef
ip -n $NS1 addr add 10.0.0.1/24 dev pg1; ip -n $NS2 addr add 10.0.0.2/24 dev pg2
ip netns exec $NS1 ethtool -K pg1 tx off >/dev/null; ip netns exec $NS2 ethtool -K pg2 tx off >/dev/null
ip -n $NS1 link set pg1 up; ip -n $NS2 link set pg2 up; ip -n $NS1 link set lo up; ip -n $NS2 link set lo up
sleep 1
ip netns exec $NS2 tcpdump -i pg2 -w /tmp/pktgold.pcap -U 2>/dev/null & TD=$!
sleep 1
ip netns exec $NS2 python3 -c "
import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,1); s.bind(('10.0.0.2',8080)); s.listen(1)
c,_=s.accept(); c.recv(100); c.close(); s.close()" & SRV=$!
sleep 0.5
ip netns exec $NS1 python3 -c "
import socket,struct
r=socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
data=b'\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b'
hdr=struct.pack('!BBHHH',8,0,0,0x1234,1)
def cs(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b))
    while s>>16: s=(s&0xffff)+(s>>16)
    return (~s)&0xffff
hdr=struct.pack('!BBHHH',8,0,cs(hdr+data),0x1234,1)
r.sendto(hdr+data,('10.0.0.2',0))
import time; time.sleep(0.2)
u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('10.0.0.1',40000)); u.sendto(b'hello udp', ('10.0.0.2',5353))
t=socket.socket(); t.bind(('10.0.0.1',40001)); t.connect(('10.0.0.2',8080)); t.send(b'hi'); t.close()"
wait $SRV
sleep 0.5
kill $TD; wait $TD || true
