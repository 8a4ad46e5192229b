# Runs OpenNebula's own vxlan network driver (vnm_mad `pre`: VXLANDriver#activate) for one
# VM NIC of an EVPN VNET, and prints as JSON the commands it ran (or would run).
#
#   ONE_SOURCE=/path/to/OpenNebula/one ruby scripts/one-vnm-driver.rb PHYDEV VNI MTU LOCAL_IP VXLAN_TEP IP_LINK_CONF
#       Records: nothing is executed. OpenNebula.exec_and_log records the commands; the
#       driver's read-only `ip` calls (bridges present, PHYDEV's address) answer from a fake:
#       a fresh host whose PHYDEV holds LOCAL_IP. What test/fixtures/one-vnm/ holds.
#   ONE_SOURCE=... ruby scripts/one-vnm-driver.rb --run PHYDEV VNI MTU - VXLAN_TEP IP_LINK_CONF
#       Runs: the driver does what it does on a KVM host, in the caller's network namespace
#       (the lab enters a lab host's with nsenter, src/lab/one-driver.ts): its own commands
#       (`sudo -n ip ...`, a `sudo` here that only drops `-n`, as root) and reads (`ip`).
#       LOCAL_IP is not used: the driver reads PHYDEV's address itself.
#
# ONE_SOURCE names a checkout of github.com/OpenNebula/one (never copied into this
# repository); test/lab/vnm-driver.test.ts compares the driver with src/lab/vms.ts's replay.
require 'fileutils'
require 'json'
require 'tmpdir'

src = ENV['ONE_SOURCE'] or abort('Set ONE_SOURCE to a checkout of OpenNebula/one.')
apply = ARGV.first == '--run'
ARGV.shift if apply
phydev, vni, mtu, local_ip, tep, ip_link_conf = ARGV
abort('Usage: one-vnm-driver.rb [--run] PHYDEV VNI MTU LOCAL_IP VXLAN_TEP IP_LINK_CONF') unless ip_link_conf

dir = Dir.mktmpdir('one-vnm-')
at_exit { FileUtils.rm_rf(dir) }
remotes = File.join(src, 'src/vnm_mad/remotes')
# The layout of an installed host: lib/../etc/vnm/OpenNebulaNetwork.conf is what vnmmad.rb loads.
FileUtils.cp_r(File.join(remotes, 'lib'), dir)
FileUtils.cp_r(File.join(remotes, 'vxlan'), dir)
FileUtils.mkdir_p(File.join(dir, 'etc/vnm'))
FileUtils.cp(File.join(remotes, 'OpenNebulaNetwork.conf'), File.join(dir, 'etc/vnm'))
if apply
  # OpenNebula runs as oneadmin with sudo rights for ip; the lab runs as root without sudo.
  File.write(File.join(dir, 'sudo'), "#!/bin/sh\n[ \"$1\" = -n ] && shift\nexec \"$@\"\n")
  FileUtils.chmod(0o755, File.join(dir, 'sudo'))
  ENV['PATH'] = "#{dir}:#{ENV['PATH']}"
else
  fake_ip = File.join(dir, 'fake-ip')
  File.write(fake_ip, <<~SH)
    #!/bin/sh
    case "$*" in
      "addr show dev #{phydev}") echo "4: #{phydev}: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420"; echo "    inet #{local_ip}/24 scope global #{phydev}" ;;
    esac
    exit 0
  SH
  FileUtils.chmod(0o755, fake_ip)
end

$LOAD_PATH.unshift(File.join(dir, 'lib'), File.join(dir, 'vxlan'), File.join(src, 'src/mad/ruby'))
require 'vxlan_driver'

commands = []
if apply
  run = OpenNebula.method(:exec_and_log)
  OpenNebula.define_singleton_method(:exec_and_log) do |cmd, *rest|
    commands << cmd.split.join(' ')
    run.call(cmd, *rest)
  end
else
  VNMMAD::VNMNetwork::COMMANDS[:ip] = 'ip'
  VNMMAD::VNMNetwork::COMMANDS[:ip_unpriv] = fake_ip
  OpenNebula.define_singleton_method(:exec_and_log) { |cmd, *_| commands << cmd.split.join(' ') }
end

# The NIC as oned writes it into the VM template: the VNET's attributes (INHERIT_VNET_ATTR
# VXLAN_MODE, VXLAN_TEP, IP_LINK_CONF, MTU) and BRIDGE onebr.<VLAN_ID>; the caller passes
# VXLAN_TEP and IP_LINK_CONF as edge-wizard's VNET template (src/core/inventory.ts vnTemplate) has them.
vm = <<~XML
  <VM><ID>7</ID><TEMPLATE><NIC>
    <BRIDGE>onebr.#{vni}</BRIDGE><BRIDGE_TYPE>linux</BRIDGE_TYPE>
    <IP>172.17.2.7</IP><MAC>02:00:ac:11:02:07</MAC><NETWORK_ID>0</NETWORK_ID><NIC_ID>0</NIC_ID>
    <PHYDEV>#{phydev}</PHYDEV><VLAN_ID>#{vni}</VLAN_ID><MTU>#{mtu}</MTU><TARGET>one-7-0</TARGET>
    <VN_MAD>vxlan</VN_MAD><VXLAN_MODE>evpn</VXLAN_MODE><VXLAN_TEP>#{tep}</VXLAN_TEP><IP_LINK_CONF>#{ip_link_conf.encode(xml: :text)}</IP_LINK_CONF>
  </NIC></TEMPLATE><HISTORY_RECORDS><HISTORY><VM_MAD>kvm</VM_MAD><DS_ID>0</DS_ID></HISTORY></HISTORY_RECORDS></VM>
XML
rc = VXLANDriver.new(vm, VXLANDriver::XPATH_FILTER, nil).activate
abort("VXLANDriver#activate returned #{rc}") unless rc.zero?
puts JSON.pretty_generate({ 'args' => { 'phydev' => phydev, 'vni' => vni, 'mtu' => mtu, 'local' => local_ip, 'vxlan_tep' => tep, 'ip_link_conf' => ip_link_conf }, 'commands' => commands })
