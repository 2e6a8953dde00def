<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>RiskOneMap</name>
    <message>
        <source>这项功能还缺少所需组件：请点击 插件 → 风险隐患一张图 → 安装所需组件。</source>
        <translation>This needs components that are not installed yet: click Plugins → 风险隐患一张图 → Install required components.</translation>
    </message>
    <message>
        <source>部分功能还缺少所需组件：请点击右边的“安装所需组件”一键装好（缺 {names}）。</source>
        <translation>Some features need components that are missing: click “Install required components” on the right to install them in one go (missing: {names}).</translation>
    </message>
    <message>
        <source>这项功能还缺少所需组件（{names}）：请点击 插件 → 风险隐患一张图 → 安装所需组件。</source>
        <translation>This needs components that are not installed ({names}): click Plugins → 风险隐患一张图 → Install required components.</translation>
    </message>
    <message>
        <source>打开一张图包…</source>
        <translation>Open a one-map package…</translation>
    </message>
    <message>
        <source>乡镇出图面板</source>
        <translation>Township print panel</translation>
    </message>
    <message>
        <source>安装所需组件…</source>
        <translation>Install required components…</translation>
    </message>
    <message>
        <source>安装所需组件</source>
        <translation>Install required components</translation>
    </message>
    <message>
        <source>加载 onemap.gpkg、人口与地形栅格，按图层组分组并配好样式</source>
        <translation>Load onemap.gpkg and the population and terrain rasters, grouped and styled</translation>
    </message>
    <message>
        <source>选乡镇、选村，打印本村风险隐患一张图</source>
        <translation>Pick a township and a village, print the village's risk map</translation>
    </message>
    <message>
        <source>导入数据…</source>
        <translation>Import data…</translation>
    </message>
    <message>
        <source>检查一张图包…</source>
        <translation>Check a package…</translation>
    </message>
    <message>
        <source>人口暴露分析…</source>
        <translation>Population exposure…</translation>
    </message>
    <message>
        <source>转移避险分析…</source>
        <translation>Evacuation…</translation>
    </message>
    <message>
        <source>物资储备点选址…</source>
        <translation>Supply depot siting…</translation>
    </message>
    <message>
        <source>DEM洼地（低洼易涝点筛查）…</source>
        <translation>Flood low points from the DEM…</translation>
    </message>
    <message>
        <source>批量打印村图…</source>
        <translation>Print village sheets…</translation>
    </message>
    <message>
        <source>预警叫应…</source>
        <translation>Warning calls…</translation>
    </message>
    <message>
        <source>导出隐患排查治理台账…</source>
        <translation>Export the hazard ledger…</translation>
    </message>
    <message>
        <source>导入修改后的台账…</source>
        <translation>Import an edited ledger…</translation>
    </message>
    <message>
        <source>导出巡查包（QField）…</source>
        <translation>Export a patrol folder (QField)…</translation>
    </message>
    <message>
        <source>合并交回的巡查包…</source>
        <translation>Merge returned patrol folders…</translation>
    </message>
    <message>
        <source>生成示例县…</source>
        <translation>Sample county…</translation>
    </message>
    <message>
        <source>把分析、出图所需的 Python 组件装进本插件自己的文件夹（可从网络或本地文件夹安装）</source>
        <translation>Install the Python components the analyses and prints need into the plugin's own folder (from the internet or a local folder)</translation>
    </message>
    <message>
        <source>打开一张图包</source>
        <translation>Open a one-map package</translation>
    </message>
    <message>
        <source>已加载 {n} 个图层：{path}</source>
        <translation>Loaded {n} layers: {path}</translation>
    </message>
    <message>
        <source>默认值 default（可修改）</source>
        <translation>default (adjustable, no norm)</translation>
    </message>
    <message>
        <source>人口暴露分析</source>
        <translation>Population exposure</translation>
    </message>
    <message>
        <source>转移避险分析</source>
        <translation>Evacuation</translation>
    </message>
    <message>
        <source>物资储备点选址</source>
        <translation>Supply depot siting</translation>
    </message>
    <message>
        <source>选择…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <source>一张图数据包</source>
        <translation>One-map package</translation>
    </message>
    <message>
        <source>运行</source>
        <translation>Run</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>选择一张图包文件夹</source>
        <translation>Choose a one-map package folder</translation>
    </message>
    <message>
        <source>正在计算……进度见窗口底部的任务栏，可在那里取消。</source>
        <translation>Computing… progress is in the task bar at the bottom of the window, where you can cancel.</translation>
    </message>
    <message>
        <source>打印县域选址图</source>
        <translation>Print the county depot map</translation>
    </message>
    <message>
        <source>风险隐患一张图</source>
        <translation>Risk One Map</translation>
    </message>
    <message>
        <source>正在打印县域选址图……</source>
        <translation>Printing the county depot map…</translation>
    </message>
    <message>
        <source>已打印县域选址图：{file}</source>
        <translation>County depot map printed: {file}</translation>
    </message>
    <message>
        <source>计算方式</source>
        <translation>Method</translation>
    </message>
    <message>
        <source>人口来源</source>
        <translation>Population source</translation>
    </message>
    <message>
        <source>绘制乡镇柱状图</source>
        <translation>Township bar charts</translation>
    </message>
    <message>
        <source>最远步行距离（米，0 = 不限）</source>
        <translation>Farthest walk (m, 0 = any)</translation>
    </message>
    <message>
        <source>模型</source>
        <translation>Model</translation>
    </message>
    <message>
        <source>新增储备点数</source>
        <translation>New depots</translation>
    </message>
    <message>
        <source>时限（分钟，0 = 县级时限）</source>
        <translation>Time limit (min, 0 = county guidance)</translation>
    </message>
    <message>
        <source>需求</source>
        <translation>Demand</translation>
    </message>
    <message>
        <source>保留现有储备点</source>
        <translation>Keep existing depots</translation>
    </message>
    <message>
        <source>完成后打印县域选址图（A3 PDF）</source>
        <translation>Print the county depot map when done (A3 PDF)</translation>
    </message>
    <message>
        <source>这个文件夹不是一张图包（缺少 onemap.gpkg）：{path}</source>
        <translation>This folder is not a one-map package (onemap.gpkg is missing): {path}</translation>
    </message>
    <message>
        <source>请先核对：须撤离人口占比异常。</source>
        <translation>Check first: the share of people who must leave is implausible.</translation>
    </message>
    <message>
        <source>精确（按面积比例）</source>
        <translation>Exact (cell share of area)</translation>
    </message>
    <message>
        <source>快速（按格网中心）</source>
        <translation>Fast (cell centres)</translation>
    </message>
    <message>
        <source>自动</source>
        <translation>Automatic</translation>
    </message>
    <message>
        <source>人口格网</source>
        <translation>Population raster</translation>
    </message>
    <message>
        <source>住户点</source>
        <translation>Household points</translation>
    </message>
    <message>
        <source>村人口表（按面积）</source>
        <translation>Village table (area-weighted)</translation>
    </message>
    <message>
        <source>P-中位：总加权时间最短</source>
        <translation>p-median: least population-weighted drive time</translation>
    </message>
    <message>
        <source>最大覆盖：时限内覆盖人口最多</source>
        <translation>MCLP: most people within the time limit</translation>
    </message>
    <message>
        <source>集合覆盖：最少新增点覆盖全部</source>
        <translation>LSCP: fewest new depots reaching everyone</translation>
    </message>
    <message>
        <source>P-中心：最远时间最短</source>
        <translation>p-center: least worst drive time</translation>
    </message>
    <message>
        <source>常住人口</source>
        <translation>Resident population</translation>
    </message>
    <message>
        <source>1-3级风险暴露人口</source>
        <translation>People exposed at risk levels 1-3</translation>
    </message>
    <message>
        <source>完成，已加载 {n} 个结果图层。</source>
        <translation>Done; {n} result layers added to the map.</translation>
    </message>
    <message>
        <source>风险隐患一张图 · 乡镇出图</source>
        <translation>Risk One Map · township prints</translation>
    </message>
    <message>
        <source>请选择一张图包文件夹</source>
        <translation>Choose a one-map package folder</translation>
    </message>
    <message>
        <source>打印本村一张图</source>
        <translation>Print this village's map</translation>
    </message>
    <message>
        <source>打印全镇</source>
        <translation>Print the whole township</translation>
    </message>
    <message>
        <source>预警叫应</source>
        <translation>Warning calls</translation>
    </message>
    <message>
        <source>打开 CAP 预警文件或在地图上画范围：先打给谁、哪些户要转移、打印各乡镇叫应单</source>
        <translation>Open a CAP warning file or draw the area on the map: who to call first, which households move, the township call sheets</translation>
    </message>
    <message>
        <source>正在打印……进度见窗口底部的任务栏，可在那里取消。</source>
        <translation>Printing… progress is in the task bar at the bottom of the window, where you can cancel.</translation>
    </message>
    <message>
        <source>乡镇（街道）</source>
        <translation>Township</translation>
    </message>
    <message>
        <source>村（社区）</source>
        <translation>Village</translation>
    </message>
    <message>
        <source>输出到：{folder}（A3）</source>
        <translation>Prints go to: {folder} (A3)</translation>
    </message>
    <message>
        <source>打印 {name} 一张图</source>
        <translation>Print the map of {name}</translation>
    </message>
    <message>
        <source>打印 {name} 全部村图</source>
        <translation>Print every village of {name}</translation>
    </message>
    <message>
        <source>已打印：{file}</source>
        <translation>Printed: {file}</translation>
    </message>
    <message>
        <source>已打印 {n} 张村图（新打印 {w} 张）</source>
        <translation>{n} village sheets ready ({w} newly printed)</translation>
    </message>
    <message>
        <source>；合订本：{file}</source>
        <translation>; merged: {file}</translation>
    </message>
    <message>
        <source>打印没有完成：{reason}</source>
        <translation>The print did not finish: {reason}</translation>
    </message>
    <message>
        <source>常住人口 {n} 人</source>
        <translation>{n} residents</translation>
    </message>
    <message>
        <source>{n} 户</source>
        <translation>{n} households</translation>
    </message>
    <message>
        <source>导入数据为一张图包</source>
        <translation>Import data into a one-map package</translation>
    </message>
    <message>
        <source>添加文件…</source>
        <translation>Add files…</translation>
    </message>
    <message>
        <source>移除所选</source>
        <translation>Remove selected</translation>
    </message>
    <message>
        <source>导入</source>
        <translation>Import</translation>
    </message>
    <message>
        <source>选择要导入的文件</source>
        <translation>Choose files to import</translation>
    </message>
    <message>
        <source>输出一张图包文件夹</source>
        <translation>Output package folder</translation>
    </message>
    <message>
        <source>正在读取文件……</source>
        <translation>Reading the files…</translation>
    </message>
    <message>
        <source>预览导入文件</source>
        <translation>Preview import files</translation>
    </message>
    <message>
        <source>（不导入）</source>
        <translation>(not imported)</translation>
    </message>
    <message>
        <source>手选</source>
        <translation>picked by hand</translation>
    </message>
    <message>
        <source>正在导入……进度见窗口底部的任务栏，可在那里取消。</source>
        <translation>Importing… progress is in the task bar at the bottom of the window, where you can cancel.</translation>
    </message>
    <message>
        <source>文件（图层）</source>
        <translation>File (layer)</translation>
    </message>
    <message>
        <source>识别为</source>
        <translation>Taken as</translation>
    </message>
    <message>
        <source>编码</source>
        <translation>Encoding</translation>
    </message>
    <message>
        <source>坐标系</source>
        <translation>CRS</translation>
    </message>
    <message>
        <source>字段匹配</source>
        <translation>Fields matched</translation>
    </message>
    <message>
        <source>字段对照（所选文件）：* 为必填字段</source>
        <translation>Field mapping (selected file): * = required field</translation>
    </message>
    <message>
        <source>模型字段</source>
        <translation>Model field</translation>
    </message>
    <message>
        <source>中文名</source>
        <translation>Chinese name</translation>
    </message>
    <message>
        <source>来源字段</source>
        <translation>Source field</translation>
    </message>
    <message>
        <source>匹配方式</source>
        <translation>Matched by</translation>
    </message>
    <message>
        <source>请先添加文件并选择输出文件夹。</source>
        <translation>Add files and choose an output folder first.</translation>
    </message>
    <message>
        <source>导入数据</source>
        <translation>Import data</translation>
    </message>
    <message>
        <source>{n} 个图层待导入。选择一行查看字段对照。</source>
        <translation>{n} layers to import. Select a row to see its field mapping.</translation>
    </message>
    <message>
        <source>已导入：保留 {k}，修复 {r}，拒绝 {x}。</source>
        <translation>Imported: {k} kept, {r} repaired, {x} rejected.</translation>
    </message>
    <message>
        <source>详情见下方记录。</source>
        <translation>See the log below for details.</translation>
    </message>
    <message>
        <source>从网络安装（需要能上网）</source>
        <translation>Install from the internet</translation>
    </message>
    <message>
        <source>从本地文件夹安装（内网电脑：先在能上网的电脑上准备好组件文件夹）</source>
        <translation>Install from a local folder (intranet PCs: prepare the folder on a PC with internet first)</translation>
    </message>
    <message>
        <source>组件文件夹（里面是 .whl 文件）</source>
        <translation>Component folder (holding .whl files)</translation>
    </message>
    <message>
        <source>同时安装可选组件：OR-Tools（转移避险分配更快）、openpyxl（导入 Excel 表格）、defusedxml（读取预警文件）、numba（DEM 洼地计算更快）</source>
        <translation>Also install the optional components: OR-Tools (faster evacuation assignment), openpyxl (import Excel tables), defusedxml (read warning files), numba (faster DEM low points)</translation>
    </message>
    <message>
        <source>安装记录</source>
        <translation>Install log</translation>
    </message>
    <message>
        <source>安装</source>
        <translation>Install</translation>
    </message>
    <message>
        <source>取消安装</source>
        <translation>Cancel install</translation>
    </message>
    <message>
        <source>选择组件文件夹</source>
        <translation>Choose the component folder</translation>
    </message>
    <message>
        <source>正在查找合适的版本……</source>
        <translation>Finding matching versions…</translation>
    </message>
    <message>
        <source>组件文件夹里缺少适合这台电脑的文件（见下方记录），请用 make wheelhouse 重新准备。</source>
        <translation>The component folder lacks files for this PC (see the log below); prepare it again with make wheelhouse.</translation>
    </message>
    <message>
        <source>可能是这台电脑不能上网：请改用“从本地文件夹安装”。</source>
        <translation>This PC may have no internet: use “Install from a local folder” instead.</translation>
    </message>
    <message>
        <source>已取消，组件文件夹保持原样。</source>
        <translation>Cancelled; the component folder is unchanged.</translation>
    </message>
    <message>
        <source>所需组件都已安装，各项功能可用。也可以在这里安装可选组件。</source>
        <translation>All required components are installed and every feature is on. Optional components can be installed here.</translation>
    </message>
    <message>
        <source>所需组件都已安装，不需要再装。</source>
        <translation>All required components are installed already.</translation>
    </message>
    <message>
        <source>要安装：</source>
        <translation>To install: </translation>
    </message>
    <message>
        <source>保留 QGIS 自带的：</source>
        <translation>Kept as QGIS has them: </translation>
    </message>
    <message>
        <source>请选择一个装有 .whl 组件文件的文件夹。</source>
        <translation>Choose a folder that holds .whl component files.</translation>
    </message>
    <message>
        <source>安装没有完成，组件文件夹保持原样。</source>
        <translation>The install did not finish; the component folder is unchanged. </translation>
    </message>
    <message>
        <source>将装入：</source>
        <translation>Installing: </translation>
    </message>
    <message>
        <source>安装完成，各项功能已启用，不需要重启 QGIS。</source>
        <translation>Installed: every feature is on, no QGIS restart needed.</translation>
    </message>
    <message>
        <source>无法启动 QGIS 的 Python：{python}</source>
        <translation>Cannot start QGIS's Python: {python}</translation>
    </message>
    <message>
        <source>正在安装 {n} 个组件……</source>
        <translation>Installing {n} components…</translation>
    </message>
    <message>
        <source>组件已装好，请重启 QGIS 后使用（QGIS 已加载旧版本：{names}）。</source>
        <translation>Installed; restart QGIS to use them (QGIS had already loaded an older version of: {names}).</translation>
    </message>
    <message>
        <source>安装位置：{folder}</source>
        <translation>Install folder: {folder}</translation>
    </message>
    <message>
        <source>正在使用的组件</source>
        <translation>components in use</translation>
    </message>
    <message>
        <source>缺少：{names}。暂不能用：{off}。</source>
        <translation>Missing: {names}. Off for now: {off}.</translation>
    </message>
    <message>
        <source>安装结束，但仍缺少：{names}。</source>
        <translation>The install finished but these are still missing: {names}. </translation>
    </message>
    <message>
        <source>安装没有完成，组件文件夹保持原样：{reason}</source>
        <translation>The install did not finish; the component folder is unchanged: {reason}</translation>
    </message>
    <message>
        <source>导出本镇巡查包（QField）…</source>
        <translation>Export this township's patrol folder (QField)…</translation>
    </message>
    <message>
        <source>把本镇的隐患台账、地图和巡查表单写成一个文件夹，拷到手机上用 QField 离线巡查</source>
        <translation>Write the township's hazard ledger, map and patrol forms into a folder to copy to a phone and patrol offline with QField</translation>
    </message>
    <message>
        <source>打印本村预案</source>
        <translation>Print the village plan</translation>
    </message>
    <message>
        <source>处置卡</source>
        <translation>Role cards</translation>
    </message>
    <message>
        <source>打印 {name} 应急预案</source>
        <translation>Print the emergency plan of {name}</translation>
    </message>
    <message>
        <source>打印 {name} 应急处置卡</source>
        <translation>Print the role cards of {name}</translation>
    </message>
    <message>
        <source>无</source>
        <translation>none</translation>
    </message>
    <message>
        <source>没有人住在高、中高风险区（1-2 级）。</source>
        <translation>Nobody lives in a high or upper-middle risk zone (levels 1-2).</translation>
    </message>
    <message>
        <source>结果已是最优。</source>
        <translation>The result is proven optimal.</translation>
    </message>
    <message>
        <source>预警已解除，无需叫应；以前的叫应记录都保留着。</source>
        <translation>The warning is lifted: no calls needed; earlier call records are kept.</translation>
    </message>
    <message>
        <source>共 {n} 个村，统计常住人口 {p} 人（人口来源：{source}）。</source>
        <translation>{n} villages, {p} residents counted (population from: {source}).</translation>
    </message>
    <message>
        <source>须撤离 {h} 户 {p} 人；已安排到 {s} 个避难场所 {a} 户。</source>
        <translation>{h} households ({p} people) must leave; {a} households placed in {s} shelters.</translation>
    </message>
    <message>
        <source>保留现有储备点 {k} 个，建议新增 {n} 个：{names}。</source>
        <translation>{k} existing depots kept, {n} new recommended: {names}.</translation>
    </message>
    <message>
        <source>到储备点平均车程 {m} 分钟，最远 {w} 分钟。</source>
        <translation>Mean drive to a depot {m} min, longest {w} min.</translation>
    </message>
    <message>
        <source>{title}：涉及 {t} 个乡镇 {v} 个村；须立即转移 {h} 户 {p} 人（有老弱病残的 {vul} 户），告知并做好转移准备 {tell} 户。</source>
        <translation>{title}: {t} townships, {v} villages; {h} households ({p} people) must move now ({vul} with vulnerable people), {tell} households to be told and get ready.</translation>
    </message>
    <message>
        <source>共 {n} 个电话要打，其中户主 {heads} 个。</source>
        <translation>{n} calls to make, {heads} of them to household heads.</translation>
    </message>
    <message>
        <source>没有可开放的避难场所：请乡镇另行安排安置点。</source>
        <translation>No shelter can open: the township must arrange other places.</translation>
    </message>
    <message>
        <source>住在高、中高风险区（1-2 级）的人口：{parts} 人。</source>
        <translation>People living in high or upper-middle risk zones (levels 1-2): {parts}.</translation>
    </message>
    <message>
        <source>另有 {n} 条提示，详见日志。</source>
        <translation>{n} more notes in the log.</translation>
    </message>
    <message>
        <source>还有 {u} 户没有安置：{r} 户没有可走的路，{c} 户因避难场所容量不够。</source>
        <translation>{u} households have no place: {r} have no usable route, {c} found no shelter with room.</translation>
    </message>
    <message>
        <source>平均每人步行 {m} 米；{v} 户超出避难场所的服务半径。</source>
        <translation>Mean walk {m} m per person; {v} households beyond their shelter's service radius.</translation>
    </message>
    <message>
        <source>有 {n} 处输入数据错误，见“分析结果”中的问题图层。</source>
        <translation>{n} input errors: see the issues layer in the results group.</translation>
    </message>
    <message>
        <source>结果未证明最优（差距 {g}%），可延长求解时间。</source>
        <translation>Not proven optimal (gap {g}%): allow the solver more time.</translation>
    </message>
    <message>
        <source>{zh} {h} 小时内可送达的人口：{share}%。</source>
        <translation>People reached within the {zh} limit of {h} h: {share}%.</translation>
    </message>
    <message>
        <source>{n} 个村没有可叫应的责任人或电话，已列在名单最前：须乡镇派人上门通知。</source>
        <translation>{n} villages have no responsible person or phone to call; they head the list: the township must send someone in person.</translation>
    </message>
    <message>
        <source>开放 {n} 个避难场所，预计到达 {p} 人。</source>
        <translation>Open {n} shelters; about {p} people expected.</translation>
    </message>
    <message>
        <source>已打印 {n} 份乡镇叫应单：{folder}</source>
        <translation>{n} township call sheets printed: {folder}</translation>
    </message>
    <message>
        <source>已取消，没有写入任何文件。</source>
        <translation>Cancelled; nothing was written.</translation>
    </message>
    <message>
        <source>打开文件夹</source>
        <translation>Open folder</translation>
    </message>
    <message>
        <source>预警来自</source>
        <translation>Warning from</translation>
    </message>
    <message>
        <source>预警发布系统下发的 CAP 1.2 文件（.xml）</source>
        <translation>A CAP 1.2 file (.xml) from the warning release system</translation>
    </message>
    <message>
        <source>CAP 文件</source>
        <translation>CAP file</translation>
    </message>
    <message>
        <source>只用选中的要素</source>
        <translation>Selected features only</translation>
    </message>
    <message>
        <source>范围图层</source>
        <translation>Area layer</translation>
    </message>
    <message>
        <source>在地图上画…</source>
        <translation>Draw on the map…</translation>
    </message>
    <message>
        <source>左键逐点加范围的角，右键结束</source>
        <translation>Left-click each corner of the area, right-click to finish</translation>
    </message>
    <message>
        <source>画出的范围</source>
        <translation>Drawn area</translation>
    </message>
    <message>
        <source>乡镇 9 位或村 12 位代码，空格或逗号分开</source>
        <translation>9-digit township or 12-digit village codes, separated by spaces or commas</translation>
    </message>
    <message>
        <source>代码</source>
        <translation>Codes</translation>
    </message>
    <message>
        <source>预警颜色</source>
        <translation>Warning colour</translation>
    </message>
    <message>
        <source>默认：数据包下的 warning 文件夹</source>
        <translation>Default: the warning folder in the package</translation>
    </message>
    <message>
        <source>叫应名单和叫应单存到</source>
        <translation>Save the call list and call sheets to</translation>
    </message>
    <message>
        <source>打印各乡镇叫应单（A4 PDF）</source>
        <translation>Print each township's call sheet (A4 PDF)</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>选择 CAP 预警文件</source>
        <translation>Choose a CAP warning file</translation>
    </message>
    <message>
        <source>在地图上左键逐点加范围的角，右键结束</source>
        <translation>On the map, left-click each corner of the area, right-click to finish</translation>
    </message>
    <message>
        <source>正在计算叫应名单……</source>
        <translation>Working out the call list…</translation>
    </message>
    <message>
        <source>请先点“在地图上画…”画出预警范围。</source>
        <translation>First click “Draw on the map…” and draw the warned area.</translation>
    </message>
    <message>
        <source>地图上画的范围</source>
        <translation>Area drawn on the map</translation>
    </message>
    <message>
        <source>CAP 预警文件</source>
        <translation>CAP warning file</translation>
    </message>
    <message>
        <source>图层中的范围</source>
        <translation>Area from a layer</translation>
    </message>
    <message>
        <source>在地图上画范围</source>
        <translation>Draw the area on the map</translation>
    </message>
    <message>
        <source>乡镇/村代码</source>
        <translation>Township/village codes</translation>
    </message>
    <message>
        <source>灾种</source>
        <translation>Hazard</translation>
    </message>
    <message>
        <source>已画范围：{n} 个角</source>
        <translation>Area drawn: {n} corners</translation>
    </message>
    <message>
        <source>请选择 CAP 预警文件。</source>
        <translation>Choose a CAP warning file.</translation>
    </message>
    <message>
        <source>请填写乡镇或村代码。</source>
        <translation>Enter township or village codes.</translation>
    </message>
    <message>
        <source>请选择一个面图层作为预警范围。</source>
        <translation>Choose a polygon layer as the warned area.</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>图层“{name}”中没有可用的面（或没有选中的要素）。</source>
        <translation>Layer “{name}” has no usable polygons (or no selected features).</translation>
    </message>
</context>
</TS>
