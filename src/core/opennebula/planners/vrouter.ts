/**
 * The Virtual Router: its preconditions (the appliance's template and image, the marketplace app,
 * an image datastore with room, OneGate), then the calls that export the appliance, create the
 * router on the first EVPN network and instantiate its VM on hold, released once its image is READY.
 */
import {
  IMAGE_ERROR,
  VM_CLONING,
  VM_CLONING_FAILURE,
  VM_HOLD,
  type OneDatastore,
  type OneImage,
  type OneMarketApp,
  type OneVmTemplate,
  type OneVrouter,
} from '../state.js';
import {
  applianceFailed,
  availableMb,
  findOwn,
  findVrImage,
  findVrTemplate,
  imageCapacityArg,
  listIds,
  markerTemplate,
  markStep,
  needsAppliance,
  ownDatastores,
  pickApp,
  renamedWarning,
  ROLE,
  stripFormatDriver,
  templateWantsToken,
  tmMad,
  VR_APP_NAME,
  vrouterName,
} from '../objects.js';
import { renderTemplate, type OneTemplate } from '../template.js';
import type { ObjectPlanner } from './planner.js';

/** What the router's `find` hands its `plan`. */
interface VrouterFound {
  vrName: string;
  vrFound: { obj?: OneVrouter; renamed?: boolean };
  template?: OneVmTemplate;
  vrImage?: OneImage;
  app?: OneMarketApp;
  imageDs?: OneDatastore;
  releaseExisting: boolean;
  mustInstantiate: boolean;
}

export const vrouter: ObjectPlanner<VrouterFound> = {
  object: 'virtual router',
  // Everything oned would refuse after the first writes.
  find: ({ s, state, found, problems, warnings }) => {
    const vrName = vrouterName(s);
    const vrFound = findOwn(state.vrouters, s, vrName, ROLE.vrouter);
    const existing = vrFound.obj;
    const template = findVrTemplate(state);
    let vrImage: OneImage | undefined;
    let app: OneMarketApp | undefined;
    let imageDs: OneDatastore | undefined;
    let releaseExisting = false;
    let mustInstantiate = false;
    if (s.virtual_router.enabled) {
      const vrCluster = s.clusters.find((c) => c.name === s.virtual_router.cluster)!;
      mustInstantiate = !existing || existing.vms.length === 0;
      const failedVms = state.vrouter_vms.filter((vm) => vm.state === VM_CLONING_FAILURE);
      if (template && (mustInstantiate || failedVms.length)) {
        // The template's disks: an image in ERROR (a failed download) or gone makes the router unusable.
        for (const id of template.disk_images ?? []) {
          const img = state.images.find((i) => i.id === id);
          if (!img)
            problems.push(
              `The VM template "${template.name}" (ID ${template.id}) uses image ${id}, which no longer exists: remove the template ("onetemplate delete ${template.id}") so the appliance is exported again, then run again.`,
            );
          else if (img.state === IMAGE_ERROR) problems.push(applianceFailed(img, state));
        }
      }
      if (needsAppliance(s, state)) {
        app = pickApp(state.apps ?? []);
        if (!app)
          problems.push(
            `virtual_router.enabled is true but no marketplace holds a READY "${VR_APP_NAME}" app: enable the OpenNebula Public marketplace, or import the appliance yourself and run again.`,
          );
        else if (!app.vm_template)
          problems.push(
            `The marketplace app "${VR_APP_NAME}" (ID ${app.id}) has no VM template to export: import the appliance with Sunstone or onemarketapp export, then run again.`,
          );
        vrImage = findVrImage(state);
        const failed = state.images.find((i) => i.name === VR_APP_NAME && i.state === IMAGE_ERROR);
        if (failed) {
          problems.push(applianceFailed(failed, state));
        } else if (app && !vrImage) {
          // The image goes to the VR cluster's own provision's image datastore, never to whichever the pool lists first.
          const vrHosts = found.hosts.filter((h) => h.cluster === vrCluster.name).map((h) => h.one);
          imageDs = ownDatastores(state, vrHosts, tmMad(s)).find((d) => d.type === 0);
          const vrProvisions = new Set(vrHosts.flatMap((h) => (h?.provision_id ? [h.provision_id] : [])));
          if (!imageDs && vrHosts.every(Boolean)) {
            problems.push(
              `virtual_router.cluster is "${vrCluster.name}" but ${vrProvisions.size ? `its provision (ID ${listIds(vrProvisions)})` : 'oned'} has no image datastore with TM_MAD=${tmMad(s)} to export the "${VR_APP_NAME}" appliance into: create one, or import the appliance yourself, then run again.`,
            );
          } else if (imageDs) {
            const check = imageDs.capacity_check ?? state.system.capacity_check;
            if (check && app.size_mb > availableMb(imageDs)) {
              problems.push(
                `The image datastore ${imageDs.name} (ID ${imageDs.id}) has ${availableMb(imageDs)} MB available but the "${VR_APP_NAME}" appliance needs ${app.size_mb} MB: free space there (or raise its LIMIT_MB), then run again.`,
              );
            }
          }
        }
      }
      if (template && mustInstantiate && !template.vrouter) {
        problems.push(
          `The VM template "${template.name}" (ID ${template.id}) has no VROUTER="YES", and oned instantiates virtual routers only from such templates: import the appliance from the marketplace (or add VROUTER="YES" to that template), then run again.`,
        );
      }
      const token = template ? template.token : app?.vm_template ? templateWantsToken(app.vm_template) : false;
      const endpoint = state.system.onegate_endpoint;
      if (mustInstantiate && endpoint === '' && (token || s.virtual_router.sdnat)) {
        const why = token
          ? `the "${VR_APP_NAME}" template asks for a OneGate token (CONTEXT TOKEN="YES"), which oned refuses to give without one`
          : "SDNAT reads the router's networks through OneGate";
        problems.push(
          `oned.conf has no ONEGATE_ENDPOINT and ${why}: set ONEGATE_ENDPOINT in oned.conf to an address the Virtual Router can reach, restart oned, then run again.`,
        );
      }
      for (const vm of state.vrouter_vms) {
        if (vm.state === VM_CLONING_FAILURE) {
          const img = state.images.find((i) => i.state === IMAGE_ERROR && (template?.disk_images ?? []).includes(i.id));
          if (!img)
            problems.push(
              `VM ${vm.id} of virtual router ${existing?.name ?? vrName} is in CLONING_FAILURE (its disk image could not be copied): remove it ("onevm recover --delete ${vm.id}"), then run again.`,
            );
        } else if (vm.state === VM_HOLD || vm.state === VM_CLONING) {
          releaseExisting = true;
        }
      }
      // Said once, when the router is made: not on every run.
      if (mustInstantiate && s.virtual_router.sdnat && endpoint) {
        warnings.push(
          `SDNAT needs the Virtual Router to reach OneGate at ${endpoint} (ONEGATE_ENDPOINT): the appliance reads the networks' EXTERNAL leases through it. Make sure the VR can reach that address.`,
        );
      } else if (mustInstantiate && s.virtual_router.sdnat && endpoint === undefined) {
        warnings.push(
          "SDNAT needs the Virtual Router to reach OneGate: the appliance reads the networks' EXTERNAL leases through it. Set ONEGATE_ENDPOINT in oned.conf to an address the VR can reach.",
        );
      }
    }
    return { vrName, vrFound, template, vrImage, app, imageDs, releaseExisting, mustInstantiate };
  },
  plan: (ctx, { vrName, vrFound, template, vrImage, app, imageDs, releaseExisting, mustInstantiate }) => {
    const { s, state, found, steps, known, warnings } = ctx;
    if (!s.virtual_router.enabled) return;
    const existing = vrFound.obj;
    ctx.vrouterName = existing?.name ?? vrName;
    // On the first network only (a NIC in each would route between networks that must stay apart).
    const vrNet = s.networks[0]!;
    const vrCluster = s.clusters.find((c) => c.name === s.virtual_router.cluster)!;
    const vrPublic = found.publics.find((p) => p.cluster === vrCluster)!.vn!;
    const vrHostOnes = found.hosts.filter((h) => h.cluster === vrCluster.name && h.one).map((h) => h.one!);
    const vrHosts = vrHostOnes.map((h) => h.id);
    if (template) known.vr_template = template.id;
    else if (app && mustInstantiate) {
      if (vrImage) known.vr_image = vrImage.id;
      else {
        const ds = imageDs!;
        const imageTpl = `${stripFormatDriver(app.app_template).trimEnd()}\nNAME = "${VR_APP_NAME}"\nFROM_APP = "${app.id}"\n`;
        steps.push({
          method: 'one.image.allocate',
          args: [imageTpl, ds.id, imageCapacityArg(state.system.version)],
          title: `Export the ${VR_APP_NAME} image (app ${app.id}) into datastore ${ds.name} (ID ${ds.id})`,
          bind: 'vr_image',
        });
      }
      const vmTpl = `${app.vm_template!.trimEnd()}\nNAME = "${VR_APP_NAME}"\nDISK = [ IMAGE_ID = "@{vr_image}" ]\n`;
      steps.push({ method: 'one.template.allocate', args: [{ interpolate: vmTpl }], title: `Create the ${VR_APP_NAME} VM template`, bind: 'vr_template' });
    }
    if (template && template.name !== VR_APP_NAME && mustInstantiate) {
      warnings.push(
        `The appliance is already exported as the VM template "${template.name}" (ID ${template.id}, a VROUTER template whose disk came from the "${VR_APP_NAME}" app): it is used as it is, not exported again.`,
      );
    }

    if (existing) {
      known.vrouter = existing.id;
      if (vrFound.renamed) warnings.push(renamedWarning('virtual router', 'onevrouter', vrName, existing));
      if (!existing.marker) steps.push(markStep(s, ROLE.vrouter, 'one.vrouter.update', 'virtual router', existing));
      if (existing.vms.length) {
        warnings.push(`Virtual router ${existing.name} (ID ${existing.id}) exists; its NICs and context are left as they are.`);
      }
    } else {
      const vr: OneTemplate = [
        ['NAME', vrName],
        ['NIC', { NETWORK_ID: vrPublic.id }],
        ['NIC', { NETWORK_ID: '@{evpn}', IP: vrNet.gateway }],
        ...markerTemplate(s, ROLE.vrouter),
      ];
      steps.push({
        method: 'one.vrouter.allocate',
        args: [{ interpolate: renderTemplate(vr) }],
        title: `Create virtual router ${vrName} (eth0 on ${vrPublic.name}, eth1 on ${vrNet.name} at ${vrNet.gateway})`,
        bind: 'vrouter',
      });
    }
    if (mustInstantiate) {
      const extra: OneTemplate = [['ONEAPP_VNF_ROUTER4_ENABLED', 'YES']];
      if (s.virtual_router.sdnat) {
        extra.push(['ONEAPP_VNF_SDNAT4_ENABLED', 'YES'], ['ONEAPP_VNF_SDNAT4_INTERFACES', 'eth0 eth1']);
      }
      if (vrHosts.length) extra.push(['SCHED_REQUIREMENTS', vrHosts.map((id) => `ID = ${id}`).join(' | ')]);
      // The system datastore of the VR hosts' own provision: the cluster holds every provision's, and
      // the scheduler would otherwise pick any (one whose REPLICA_HOST is in another region).
      const sysDs = ownDatastores(state, vrHostOnes, tmMad(s)).filter((d) => d.type === 1);
      if (sysDs.length) extra.push(['SCHED_DS_REQUIREMENTS', sysDs.map((d) => `ID = ${d.id}`).join(' | ')]);
      // On hold: oned's own release right after creating the VM fails while its image is still being
      // copied (CLONING), and the VM then lands in HOLD for good; the next step releases it once it can.
      steps.push({
        method: 'one.vrouter.instantiate',
        args: [{ ref: 'vrouter' }, 1, { ref: 'vr_template' }, `${vrName}-%i`, true, renderTemplate(extra)],
        vnetsReady: [vrPublic.id, { ref: 'evpn' }],
        title: `Instantiate virtual router ${vrName} on a KVM host of ${vrCluster.name} (on hold until its image is READY)`,
      });
    }
    if (mustInstantiate || releaseExisting) {
      steps.push({
        method: 'one.vm.action',
        args: ['release', { vrouterVms: 'vrouter' }],
        title: `Release the VM of virtual router ${vrName} once its image is READY`,
      });
    }
  },
};
